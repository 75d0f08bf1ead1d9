import { describe, expect, it } from 'vitest';
import { percentile, responseByAction, responseFigures } from '../../src/domain/response-times.js';
import { computeReport, reportCsv, reportText } from '../../src/domain/report.js';

describe('response-time figures', () => {
  it('takes nearest-rank percentiles a reader can find in the data', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 90)).toBe(7);
    // 1..10: p50 is the 5th value, p90 the 9th.
    const tens = [10, 3, 8, 1, 5, 2, 9, 4, 7, 6];
    expect(percentile(tens, 50)).toBe(5);
    expect(percentile(tens, 90)).toBe(9);
  });

  it('counts each step over the proposals that reached it, per action and overall', () => {
    const timings = [
      { action: 'page_oncall', toProposal: 1000, toDecision: 2000, toExecution: 2100 },
      { action: 'circuit_break_provider', toProposal: 3000, toDecision: 60_000, toExecution: 60_500, toVerification: 360_000 },
      { action: 'circuit_break_provider', toProposal: 5000 },
    ];
    const all = responseFigures(timings);
    expect(all.to_proposal).toEqual({ p50_ms: 3000, p90_ms: 5000, count: 3 });
    expect(all.to_verification).toEqual({ p50_ms: 360_000, p90_ms: 360_000, count: 1 });
    const by = responseByAction(timings);
    expect([...by.keys()]).toEqual(['circuit_break_provider', 'page_oncall']);
    expect(by.get('circuit_break_provider')!.to_decision).toEqual({ p50_ms: 60_000, p90_ms: 60_000, count: 1 });
  });

  it('shows in the tuning report text and CSV, with the incidents closed without action', () => {
    const row = { action: 'page_oncall', status: 'succeeded', riskScore: 30, route: 'human', mode: 'live', decidedVia: 'slack', verificationStatus: 'passed', count: 1, decisionMs: [2000] };
    const r = computeReport([row], { since: new Date(0), until: new Date(86_400_000), label: '1d' }, { timings: [{ action: 'page_oncall', toProposal: 1000, toDecision: 3000 }], incidents: { closed: 4, closed_without_action: 3 } });
    expect(r.actions[0]!.response!.to_decision.p50_ms).toBe(3000);
    expect(r.incidents).toEqual({ closed: 4, closed_without_action: 3 });
    expect(reportText(r)).toMatch(/Response time from detection, p50 \/ p90:\n.*\npage_oncall +1s \/ 1s +3s \/ 3s +— \/ — +— \/ —/);
    expect(reportText(r)).toContain('Incidents closed: 4, of them 3 without any action executed.');
    const csv = reportCsv(r).trim().split('\n');
    expect(csv[0]).toMatch(/,to_proposal_p50_ms,to_proposal_p90_ms,to_decision_p50_ms,to_decision_p90_ms,to_execution_p50_ms,to_execution_p90_ms,to_verification_p50_ms,to_verification_p90_ms$/);
    expect(csv[1]).toMatch(/^action,page_oncall,.*,1000,1000,3000,3000,,,,$/);
    expect(csv.at(-1)).toMatch(/^overall,all,1,.*,1000,1000,3000,3000,,,,$/);
  });
});
