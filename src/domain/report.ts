import { RESPONSE_STEPS, responseByAction, responseFigures, type ProposalTiming, type ResponseFigures } from './response-times.js';

/**
 * The threshold tuning report: what past proposals say about SRE_RISK_THRESHOLD. Pure: rows in,
 * figures out. Shadow and live proposals count alike (a shadow decision is a human's judgement too).
 */

/**
 * Past proposals alike in everything the report looks at, with how many there were (the query in
 * proposals/report.ts groups them, so the report reads a few thousand rows, not every proposal).
 */
export interface ReportRow {
  action: string;
  status: string;
  riskScore: number;
  route: string;
  mode: string;
  decidedVia: string | null;
  verificationStatus: string;
  count: number;
  /** Milliseconds from proposal to decision, one per decided proposal of the group. */
  decisionMs: number[];
  /** playbook or claude; absent in rows read before agreement was reported (counted as unknown). */
  reasoner?: string;
  /** Claude's system prompt version (its `reasoning.completed` trace); null for the playbook. */
  promptVersion?: string | null;
}

/** How often people approved what one reasoner and prompt version proposed. */
export interface AgreementRow {
  reasoner: string;
  prompt_version: string | null;
  proposals: number;
  /** Decided by a person: approved plus rejected. */
  decisions: number;
  approved: number;
  rejected: number;
  /** approved / decisions; null without a human decision. */
  agreement: number | null;
}

export interface ActionFigures {
  action: string;
  proposals: number;
  shadow: number;
  approved: number;
  rejected: number;
  expired: number;
  auto_executed: number;
  /** Human decisions only (approve or reject); null when there were none. */
  median_time_to_decision_ms: number | null;
  verified: number;
  /** passed / (passed + failed + reverted); null where no verification finished. */
  verification_pass_rate: number | null;
  /** From the incident's detection to this action's proposal, decision, execution and verification. */
  response?: ResponseFigures;
}

export interface ThresholdRow {
  threshold: number;
  would_auto_execute: number;
  rejected_by_humans: number;
  verification_failed: number;
}

export interface TuningReport {
  since: string;
  until: string;
  window: string;
  proposals: number;
  /** Proposals that carry a judgement: decided by a human, or with a finished verification. */
  decisions: number;
  min_decisions: number;
  actions: ActionFigures[];
  thresholds: ThresholdRow[];
  /** Absent when the evidence is too thin; `recommendation` says why either way. */
  recommended_threshold?: number;
  recommendation: { threshold: number | null; rests_on_decisions: number; reason: string };
  /** All actions together; present when the caller read the timings. */
  response?: ResponseFigures;
  /** Incidents opened in the window and closed since, and of them those closed with no action executed. */
  incidents?: { closed: number; closed_without_action: number };
  /** Human decisions that approved the proposal, by the reasoner and prompt version that made it. */
  agreement: AgreementRow[];
}

/** What the report reads beside the grouped proposals: the audit trail's timings and the incidents' outcomes. */
export interface ReportExtras {
  timings: readonly ProposalTiming[];
  incidents: { closed: number; closed_without_action: number };
}

/** Fewer judged proposals than this at or under a threshold is too thin to recommend it. */
export const MIN_DECISIONS = 20;
export const THRESHOLD_STEP = 5;

/** Channels through which a person decides; the rest (policy, expiry, scheduler, …) are the system. */
export const HUMAN_CHANNELS: ReadonlySet<string> = new Set(['api', 'console', 'cli', 'slack', 'email']);
/** A proposal in one of these was approved (and may have run since). */
export const HUMAN_APPROVED_STATUSES = ['approved', 'executing', 'succeeded', 'failed'] as const;
const APPROVED: ReadonlySet<string> = new Set(HUMAN_APPROVED_STATUSES);
const VERIFIED = new Set(['passed', 'failed', 'reverted']);
const VERIFY_FAILED = new Set(['failed', 'reverted']);

const byHuman = (r: ReportRow) => r.decidedVia !== null && HUMAN_CHANNELS.has(r.decidedVia);
const humanApproved = (r: ReportRow) => byHuman(r) && APPROVED.has(r.status);
const humanRejected = (r: ReportRow) => byHuman(r) && r.status === 'rejected';
const verifyFailed = (r: ReportRow) => VERIFY_FAILED.has(r.verificationStatus);
const judged = (r: ReportRow) => humanApproved(r) || humanRejected(r) || VERIFIED.has(r.verificationStatus);

const WINDOW = /^(\d{1,5})(h|d|w)$/;
const WINDOW_MS = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/** `30d`, `12h`, `2w` or an ISO 8601 time → the start of the window; undefined when it does not parse. */
export function parseSince(text: string, now: Date): Date | undefined {
  const v = text.trim();
  const m = WINDOW.exec(v);
  if (m) {
    const n = Number(m[1]);
    return n > 0 ? new Date(now.getTime() - n * WINDOW_MS[m[2] as keyof typeof WINDOW_MS]) : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(v)) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) || d.getTime() > now.getTime() ? undefined : d;
}

export const SINCE_HINT = 'expected a window such as 12h, 30d or 2w, or an ISO 8601 time in the past';

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

const sum = (rows: readonly ReportRow[], keep: (r: ReportRow) => boolean = () => true) => rows.reduce((n, r) => (keep(r) ? n + r.count : n), 0);

function actionFigures(action: string, rows: ReportRow[]): ActionFigures {
  const verified = sum(rows, (r) => VERIFIED.has(r.verificationStatus));
  const passed = sum(rows, (r) => r.verificationStatus === 'passed');
  return {
    action,
    proposals: sum(rows),
    shadow: sum(rows, (r) => r.mode === 'shadow'),
    approved: sum(rows, humanApproved),
    rejected: sum(rows, humanRejected),
    expired: sum(rows, (r) => r.status === 'expired'),
    auto_executed: sum(rows, (r) => r.route === 'auto'),
    median_time_to_decision_ms: median(rows.filter((r) => humanApproved(r) || humanRejected(r)).flatMap((r) => r.decisionMs)),
    verified,
    verification_pass_rate: verified ? Math.round((passed / verified) * 1000) / 1000 : null,
  };
}

export function thresholdTable(rows: readonly ReportRow[]): ThresholdRow[] {
  // One pass into buckets (the lowest threshold each score is under), then running sums.
  const steps = 100 / THRESHOLD_STEP + 1;
  const buckets = Array.from({ length: steps }, () => ({ n: 0, rejected: 0, failed: 0 }));
  for (const r of rows) {
    if (!(r.riskScore <= 100)) continue;
    const b = buckets[Math.max(0, Math.ceil(r.riskScore / THRESHOLD_STEP))]!;
    b.n += r.count;
    if (humanRejected(r)) b.rejected += r.count;
    if (verifyFailed(r)) b.failed += r.count;
  }
  const table: ThresholdRow[] = [];
  let n = 0;
  let rejected = 0;
  let failed = 0;
  buckets.forEach((b, i) => {
    n += b.n;
    rejected += b.rejected;
    failed += b.failed;
    table.push({ threshold: i * THRESHOLD_STEP, would_auto_execute: n, rejected_by_humans: rejected, verification_failed: failed });
  });
  return table;
}

/**
 * The highest threshold under which nothing was harmful (rejected by a human or failed
 * verification). Thresholds above the highest score seen add no evidence, so of equal rows the
 * lowest is named. Below MIN_DECISIONS judged proposals under it there is no recommendation.
 */
export function recommend(rows: readonly ReportRow[], table: readonly ThresholdRow[]): TuningReport['recommendation'] {
  let best: ThresholdRow | undefined;
  for (const row of table) {
    if (row.rejected_by_humans > 0 || row.verification_failed > 0) break;
    if (!best || row.would_auto_execute > best.would_auto_execute) best = row;
  }
  if (!best || best.would_auto_execute === 0) {
    const first = table.find((r) => r.rejected_by_humans > 0 || r.verification_failed > 0);
    const reason = first ? `already at threshold ${first.threshold} a proposal was rejected or failed verification` : 'no proposals in the window';
    return { threshold: null, rests_on_decisions: 0, reason };
  }
  const t = best.threshold;
  const evidence = sum(rows, (r) => r.riskScore <= t && judged(r));
  if (evidence < MIN_DECISIONS) {
    return { threshold: null, rests_on_decisions: evidence, reason: `too little evidence: ${evidence} judged proposal(s) at or under ${t}, at least ${MIN_DECISIONS} needed` };
  }
  const next = table.find((r) => r.threshold > t && (r.rejected_by_humans > 0 || r.verification_failed > 0));
  const above = next ? `; at ${next.threshold} a proposal was rejected or failed verification` : '';
  return { threshold: t, rests_on_decisions: evidence, reason: `no proposal at or under ${t} was rejected by a human or failed verification${above}` };
}

/** Agreement per reasoner and prompt version: the share of people's decisions that approved. */
export function agreementTable(rows: readonly ReportRow[]): AgreementRow[] {
  const groups = new Map<string, ReportRow[]>();
  for (const r of rows) {
    const k = JSON.stringify([r.reasoner ?? 'unknown', r.promptVersion ?? null]);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.entries()]
    .map(([k, list]) => {
      const [reasoner, version] = JSON.parse(k) as [string, string | null];
      const approved = sum(list, humanApproved);
      const rejected = sum(list, humanRejected);
      const decisions = approved + rejected;
      return { reasoner, prompt_version: version, proposals: sum(list), decisions, approved, rejected, agreement: decisions ? Math.round((approved / decisions) * 1000) / 1000 : null };
    })
    .sort((a, b) => a.reasoner.localeCompare(b.reasoner) || (a.prompt_version ?? '').localeCompare(b.prompt_version ?? ''));
}

export function computeReport(rows: readonly ReportRow[], window: { since: Date; until: Date; label: string }, extras?: ReportExtras): TuningReport {
  const byAction = new Map<string, ReportRow[]>();
  for (const r of rows) {
    const list = byAction.get(r.action);
    if (list) list.push(r);
    else byAction.set(r.action, [r]);
  }
  const thresholds = thresholdTable(rows);
  const recommendation = recommend(rows, thresholds);
  const timingsByAction = extras ? responseByAction(extras.timings) : undefined;
  return {
    since: window.since.toISOString(),
    until: window.until.toISOString(),
    window: window.label,
    proposals: sum(rows),
    decisions: sum(rows, judged),
    min_decisions: MIN_DECISIONS,
    actions: [...byAction.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([action, list]) => {
      const figures = actionFigures(action, list);
      const response = timingsByAction?.get(action);
      return response ? { ...figures, response } : figures;
    }),
    thresholds,
    ...(recommendation.threshold !== null ? { recommended_threshold: recommendation.threshold } : {}),
    recommendation,
    ...(extras ? { response: responseFigures(extras.timings), incidents: extras.incidents } : {}),
    agreement: agreementTable(rows),
  };
}

const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)} %`);

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${(ms / 3_600_000).toFixed(1)}h`;
}

/** The report for a terminal. */
export function reportText(r: TuningReport): string {
  const lines = [`Tuning report ${r.since} – ${r.until} (${r.window}): ${r.proposals} proposal(s), ${r.decisions} judged`, ''];
  const head = ['action', 'proposals', 'shadow', 'approved', 'rejected', 'expired', 'auto', 'median decision', 'verification pass'];
  const cells = r.actions.map((a) => [a.action, a.proposals, a.shadow, a.approved, a.rejected, a.expired, a.auto_executed, formatDuration(a.median_time_to_decision_ms), `${pct(a.verification_pass_rate)}${a.verified ? ` of ${a.verified}` : ''}`].map(String));
  lines.push(...columns([head, ...cells]), '');
  lines.push(...columns([['threshold', 'would auto-execute', 'rejected by humans', 'failed verification'], ...r.thresholds.map((t) => [t.threshold, t.would_auto_execute, t.rejected_by_humans, t.verification_failed].map(String))]), '');
  if (r.response) {
    const spread = (f: ResponseFigures) => RESPONSE_STEPS.map((k) => `${formatDuration(f[k].p50_ms)} / ${formatDuration(f[k].p90_ms)}`);
    const resp = [...r.actions.filter((a) => a.response).map((a) => [a.action, ...spread(a.response!)]), ['all actions', ...spread(r.response)]];
    lines.push('Response time from detection, p50 / p90:', ...columns([['action', 'to proposal', 'to decision', 'to execution', 'to verification'], ...resp]), '');
  }
  if (r.agreement.length > 0) {
    lines.push('Agreement (people who approved what was proposed), by reasoner and prompt version:');
    lines.push(...columns([['reasoner', 'prompt version', 'proposals', 'decided by a person', 'approved', 'rejected', 'agreement'], ...r.agreement.map((a) => [a.reasoner, a.prompt_version ?? '—', a.proposals, a.decisions, a.approved, a.rejected, pct(a.agreement)].map(String))]), '');
  }
  if (r.incidents) lines.push(`Incidents closed: ${r.incidents.closed}, of them ${r.incidents.closed_without_action} without any action executed.`, '');
  const rec = r.recommendation;
  lines.push(rec.threshold === null ? `No recommended threshold: ${rec.reason}.` : `Recommended threshold: ${rec.threshold} (rests on ${rec.rests_on_decisions} decisions: ${rec.reason}).`);
  return lines.join('\n');
}

function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd());
}

/** The report as CSV: one row per action, then one per threshold (action ids never start with = + - @). */
export function reportCsv(r: TuningReport): string {
  const rows = [
    `section,key,proposals,approved,rejected,expired,auto_executed,median_time_to_decision_ms,verification_pass_rate,would_auto_execute,rejected_by_humans,verification_failed,${RESPONSE_COLUMNS.join(',')}`,
    ...r.actions.map((a) => ['action', a.action, a.proposals, a.approved, a.rejected, a.expired, a.auto_executed, a.median_time_to_decision_ms ?? '', a.verification_pass_rate ?? '', '', '', '', ...responseCells(a.response)].join(',')),
    ...r.thresholds.map((t) => ['threshold', t.threshold, '', '', '', '', '', '', '', t.would_auto_execute, t.rejected_by_humans, t.verification_failed, ...responseCells(undefined)].join(',')),
    ...(r.response ? [['overall', 'all', r.proposals, '', '', '', '', '', '', '', '', '', ...responseCells(r.response)].join(',')] : []),
  ];
  return `${rows.join('\n')}\n`;
}

const RESPONSE_COLUMNS = RESPONSE_STEPS.flatMap((k) => [`${k}_p50_ms`, `${k}_p90_ms`]);
const responseCells = (f: ResponseFigures | undefined) => RESPONSE_STEPS.flatMap((k) => (f ? [f[k].p50_ms ?? '', f[k].p90_ms ?? ''] : ['', '']));
