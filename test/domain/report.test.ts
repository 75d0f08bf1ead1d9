import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeReport, MIN_DECISIONS, parseSince, reportCsv, reportText, type ReportRow } from '../../src/domain/report.js';

const T0 = new Date('2026-11-24T10:00:00Z');
const WINDOW = { since: new Date(T0.getTime() - 30 * 86_400_000), until: T0, label: '30d' };
const min = (n: number) => n * 60_000;

function row(over: Partial<ReportRow> & { decidedAfterMs?: number }): ReportRow {
  const { decidedAfterMs, ...rest } = over;
  return {
    action: 'circuit_break_provider',
    status: 'pending',
    riskScore: 20,
    route: 'gate',
    mode: 'live',
    decidedVia: null,
    verificationStatus: 'none',
    count: 1,
    ...rest,
    decisionMs: rest.decisionMs ?? (decidedAfterMs === undefined ? [] : [decidedAfterMs]),
  };
}

/** Twelve decisions whose figures are counted by hand in the test below. */
const SEEDED: ReportRow[] = [
  // circuit_break_provider: 2 auto-executed (verification passed, failed), 2 human approvals, 1 human rejection, 1 expired
  row({ riskScore: 15, route: 'auto', status: 'succeeded', decidedVia: 'policy', decidedAfterMs: 0, verificationStatus: 'passed' }),
  row({ riskScore: 18, route: 'auto', status: 'succeeded', decidedVia: 'policy', decidedAfterMs: 0, verificationStatus: 'failed' }),
  row({ riskScore: 33, status: 'succeeded', decidedVia: 'slack', decidedAfterMs: min(4), verificationStatus: 'passed' }),
  row({ riskScore: 42, status: 'approved', decidedVia: 'console', decidedAfterMs: min(10), mode: 'shadow' }),
  row({ riskScore: 47, status: 'rejected', decidedVia: 'api', decidedAfterMs: min(2) }),
  row({ riskScore: 55, status: 'expired', decidedVia: 'expiry', decidedAfterMs: min(1440) }),
  // bump_budget_cap: 1 human rejection in shadow, 1 approval that reverted, 1 superseded, 1 pending
  row({ action: 'bump_budget_cap', riskScore: 80, status: 'rejected', decidedVia: 'email', decidedAfterMs: min(30), mode: 'shadow' }),
  row({ action: 'bump_budget_cap', riskScore: 76, status: 'succeeded', decidedVia: 'cli', decidedAfterMs: min(20), verificationStatus: 'reverted' }),
  row({ action: 'bump_budget_cap', riskScore: 90, status: 'superseded' }),
  row({ action: 'bump_budget_cap', riskScore: 100, status: 'pending' }),
  // page_oncall: one approval that failed to execute (still a human approval), one pending
  row({ action: 'page_oncall', riskScore: 35, status: 'failed', decidedVia: 'slack', decidedAfterMs: min(6) }),
  row({ action: 'page_oncall', riskScore: 0, status: 'pending' }),
];

describe('tuning report figures', () => {
  const r = computeReport(SEEDED, WINDOW);

  it('per action: proposals, approved, rejected, expired, auto-executed, median decision time and pass rate match a hand count', () => {
    expect(r.proposals).toBe(12);
    expect(r.actions.map((a) => a.action)).toEqual(['bump_budget_cap', 'circuit_break_provider', 'page_oncall']);
    expect(r.actions.find((a) => a.action === 'circuit_break_provider')).toEqual({
      action: 'circuit_break_provider',
      proposals: 6,
      shadow: 1,
      approved: 2,
      rejected: 1,
      expired: 1,
      auto_executed: 2,
      // human decisions only: 2, 4, 10 minutes (policy and expiry are not people deciding)
      median_time_to_decision_ms: min(4),
      verified: 3,
      verification_pass_rate: 0.667,
    });
    expect(r.actions.find((a) => a.action === 'bump_budget_cap')).toEqual({
      action: 'bump_budget_cap',
      proposals: 4,
      shadow: 1,
      approved: 1,
      rejected: 1,
      expired: 0,
      auto_executed: 0,
      median_time_to_decision_ms: min(25),
      verified: 1,
      verification_pass_rate: 0,
    });
    expect(r.actions.find((a) => a.action === 'page_oncall')).toMatchObject({ proposals: 2, approved: 1, rejected: 0, median_time_to_decision_ms: min(6), verified: 0, verification_pass_rate: null });
  });

  it('the threshold table counts proposals at or under each threshold, with the rejected and the failed among them', () => {
    const at = (t: number) => r.thresholds.find((x) => x.threshold === t);
    expect(r.thresholds.map((t) => t.threshold)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100]);
    expect(at(0)).toEqual({ threshold: 0, would_auto_execute: 1, rejected_by_humans: 0, verification_failed: 0 });
    expect(at(15)).toEqual({ threshold: 15, would_auto_execute: 2, rejected_by_humans: 0, verification_failed: 0 });
    expect(at(20)).toEqual({ threshold: 20, would_auto_execute: 3, rejected_by_humans: 0, verification_failed: 1 });
    expect(at(45)).toEqual({ threshold: 45, would_auto_execute: 6, rejected_by_humans: 0, verification_failed: 1 });
    expect(at(50)).toEqual({ threshold: 50, would_auto_execute: 7, rejected_by_humans: 1, verification_failed: 1 });
    expect(at(80)).toEqual({ threshold: 80, would_auto_execute: 10, rejected_by_humans: 2, verification_failed: 2 });
    expect(at(100)).toEqual({ threshold: 100, would_auto_execute: 12, rejected_by_humans: 2, verification_failed: 2 });
  });

  it('recommends nothing on thin evidence, and says how many decisions there were', () => {
    // 15 is the highest harmless threshold, but it rests on one judged proposal (the passed auto-execution).
    expect(r.recommended_threshold).toBeUndefined();
    expect(r.recommendation).toEqual({ threshold: null, rests_on_decisions: 1, reason: expect.stringMatching(/too little evidence: 1 judged .* at or under 15, at least 20 needed/) });
    expect(r.decisions).toBe(8);
  });

  it('recommends the highest harmless threshold once enough decisions back it, not one above every score seen', () => {
    const approvals = Array.from({ length: MIN_DECISIONS }, (_, i) => row({ riskScore: 10 + (i % 20), status: 'succeeded', decidedVia: 'slack', decidedAfterMs: min(3), verificationStatus: 'passed' }));
    const at33 = row({ riskScore: 33, status: 'approved', decidedVia: 'console', decidedAfterMs: min(2), mode: 'shadow' });
    const rejected = row({ riskScore: 37, status: 'rejected', decidedVia: 'slack', decidedAfterMs: min(1) });
    const withHarm = computeReport([...approvals, at33, rejected], WINDOW);
    expect(withHarm.recommended_threshold).toBe(35);
    expect(withHarm.recommendation).toMatchObject({ threshold: 35, rests_on_decisions: MIN_DECISIONS + 1, reason: expect.stringMatching(/at 40 a proposal was rejected/) });
    // Nothing harmful at all: every threshold from 30 up covers the same 20 proposals, so 30 is named.
    expect(computeReport(approvals, WINDOW).recommended_threshold).toBe(30);
    // Harm at the lowest score: no threshold is safe.
    expect(computeReport([row({ riskScore: 0, status: 'rejected', decidedVia: 'console' }), ...approvals], WINDOW).recommendation).toMatchObject({ threshold: null, reason: expect.stringMatching(/already at threshold 0/) });
    expect(computeReport([], WINDOW).recommendation).toEqual({ threshold: null, rests_on_decisions: 0, reason: 'no proposals in the window' });
  });

  it('counts grouped rows by their count, and takes the median over every decision of the groups', () => {
    const g = computeReport(
      [
        row({ status: 'rejected', decidedVia: 'slack', riskScore: 30, count: 3, decisionMs: [min(1), min(2), min(9)] }),
        row({ status: 'succeeded', decidedVia: 'console', riskScore: 10, count: 2, decisionMs: [min(3), min(4)], verificationStatus: 'passed' }),
      ],
      WINDOW,
    );
    expect(g.actions[0]).toMatchObject({ proposals: 5, approved: 2, rejected: 3, median_time_to_decision_ms: min(3), verified: 2, verification_pass_rate: 1 });
    expect(g.thresholds.find((t) => t.threshold === 30)).toEqual({ threshold: 30, would_auto_execute: 5, rejected_by_humans: 3, verification_failed: 0 });
  });

  it('the table grows with the threshold, and never counts more of either harm than proposals', () => {
    const arbitraryRow = fc.record({
      riskScore: fc.integer({ min: 0, max: 100 }),
      status: fc.constantFrom('pending', 'approved', 'rejected', 'succeeded', 'failed', 'expired', 'superseded'),
      decidedVia: fc.constantFrom(null, 'slack', 'api', 'policy', 'expiry'),
      verificationStatus: fc.constantFrom('none', 'pending', 'passed', 'failed', 'reverted'),
    });
    fc.assert(
      fc.property(fc.array(arbitraryRow, { maxLength: 60 }), (rows) => {
        const t = computeReport(rows.map((x) => row(x)), WINDOW).thresholds;
        for (let i = 1; i < t.length; i++) {
          expect(t[i]!.would_auto_execute).toBeGreaterThanOrEqual(t[i - 1]!.would_auto_execute);
          expect(t[i]!.rejected_by_humans).toBeGreaterThanOrEqual(t[i - 1]!.rejected_by_humans);
          expect(t[i]!.verification_failed).toBeGreaterThanOrEqual(t[i - 1]!.verification_failed);
        }
        for (const x of t) expect(Math.max(x.rejected_by_humans, x.verification_failed)).toBeLessThanOrEqual(x.would_auto_execute);
        expect(t.at(-1)!.would_auto_execute).toBe(rows.length);
        // The definition, counted naively: proposals with risk_score ≤ threshold.
        for (const x of t) {
          const under = rows.filter((r) => r.riskScore <= x.threshold);
          expect(x.would_auto_execute).toBe(under.length);
          expect(x.rejected_by_humans).toBe(under.filter((r) => r.status === 'rejected' && (r.decidedVia === 'slack' || r.decidedVia === 'api')).length);
          expect(x.verification_failed).toBe(under.filter((r) => r.verificationStatus === 'failed' || r.verificationStatus === 'reverted').length);
        }
      }),
    );
  });

  it('text and CSV carry the same figures as the JSON', () => {
    const text = reportText(r);
    expect(text).toMatch(/circuit_break_provider\s+6\s+1\s+2\s+1\s+1\s+2\s+4m\s+67 % of 3/);
    expect(text).toMatch(/^\s*50\s+7\s+1\s+1$/m);
    expect(text).toMatch(/No recommended threshold: too little evidence/);
    const csv = reportCsv(r).trim().split('\n');
    expect(csv).toHaveLength(1 + 3 + 21);
    expect(csv).toContain('action,circuit_break_provider,6,2,1,1,2,240000,0.667,,,,,,,,,,,');
    expect(csv).toContain('threshold,50,,,,,,,,7,1,1,,,,,,,,');
  });
});

describe('--since', () => {
  it.each([
    ['30d', 30 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['2w', 14 * 86_400_000],
  ])('%s is a window back from now', (text, ms) => {
    expect(parseSince(text, T0)?.getTime()).toBe(T0.getTime() - ms);
  });

  it('takes an ISO time in the past', () => {
    expect(parseSince('2026-11-01T00:00:00Z', T0)?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });

  it.each(['', 'yesterday', '30', '0d', '-5d', '30 days', '2026-13-45', '2027-01-01T00:00:00Z', '1e3d'])('refuses %j', (text) => {
    expect(parseSince(text, T0)).toBeUndefined();
  });
});
