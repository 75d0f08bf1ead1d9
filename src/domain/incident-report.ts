/**
 * The incident report (issue 20, item 4): what happened and how long each step took, built only
 * from the incident's audit rows, so every line names the row it comes from (`seq` and the first
 * 12 characters of its hash) and `audit verify` vouches for it. Pure: rows and facts in, a report
 * out; the Markdown is a rendering of the same object the JSON answer returns.
 */

import { duration } from './words.js';
import type { IncidentFacts } from './proposal-view.js';

export interface ReportRow {
  seq: number;
  hash: string;
  occurredAt: Date;
  kind: string;
  actorType: string;
  actor: string;
  proposalId: string | null;
  payload: Record<string, unknown>;
}

export interface ReportIncident {
  id: string;
  type: string;
  subject: string;
  status: string;
  firstSeen: Date;
  lastSeen: Date;
  closedAt: Date | null;
  eventCount: number;
}

/** The audit row a line comes from. */
export interface Cite {
  seq: number;
  hash: string;
}

export interface ReportLine {
  at: string;
  text: string;
  /** The row the line comes from (CONTRACT.md): seq and the first 12 characters of its hash. */
  audit_seq: number;
  audit_hash: string;
  /** The rows it rests on: that row, and for a summary line also the last it counts. */
  cites: Cite[];
}

/** CONTRACT.md's figures: from detection (the incident.opened row) to each step, null where it never came. */
export interface ReportDurations {
  to_proposal_ms: number | null;
  to_decision_ms: number | null;
  to_execution_ms: number | null;
  to_verification_ms: number | null;
}

export const REPORT_STEPS = ['detect_to_propose', 'propose_to_decide', 'decide_to_execute', 'execute_to_verify', 'execute_to_revert'] as const;
export type ReportStep = (typeof REPORT_STEPS)[number];

export interface ReportDuration {
  step: ReportStep;
  ms: number;
  from: Cite;
  to: Cite;
}

export interface IncidentReport {
  incident: IncidentFacts & { closed_at: string | null };
  generated_at: string;
  summary: string;
  timeline: ReportLine[];
  durations: ReportDurations;
  /** Each step from the first row of one to the first of the next, with the two rows. */
  steps: ReportDuration[];
  decisions: ReportLine[];
  evidence: ReportLine[];
  /** The events summarised: counts, when, the busiest window, the peaks (never one line per event). */
  events: ReportLine[];
  risk: ReportLine[];
  executions: ReportLine[];
  /** Pauses, shadow mode and silences that applied while the incident was open. */
  brakes: ReportLine[];
  /** Optional, written by the model and labelled so; never mixed into the facts above. */
  narrative?: { text: string; model: string };
  /** Asked for and not written: why, in one line ("No narrative: …"). */
  narrative_unavailable?: string;
}

/** The incident's events, summarised by the database (the rows themselves are never listed). */
export interface EventFacts {
  total: number;
  byType: { type: string; n: number }[];
  first: Date | null;
  last: Date | null;
  /** The bucket the busiest figure counts in, chosen by the incident's span. */
  window: 'minute' | 'hour' | 'day';
  /** How many buckets saw at least one event. */
  windows: number;
  busiest: { at: Date; n: number } | null;
  /** The highest value of each measured field, the event that carried it, and the latest value. */
  peaks: { field: string; value: number; at: Date; eventId: string; latest: number | null }[];
}

/** What the caller read beside the rows: the failure class of the evidence, in words, per proposal; the events summarised. */
export interface ReportFacts {
  /** proposal id → the classification of the evidence it was reasoned from, in words. */
  evidenceClass?: ReadonlyMap<string, string>;
  events?: EventFacts;
}

/** The fields the peak line reads, in words, and how each value reads. */
export const PEAK_FIELDS: Readonly<Record<string, { label: string; value: (v: number) => string }>> = {
  error_rate: { label: 'error rate', value: (v) => `${Math.round(v * 100)} %` },
  latency_ms: { label: 'latency', value: (v) => `${Math.round(v).toLocaleString('en-US')} ms` },
  spend_usd: { label: 'spend', value: (v) => `$${v.toLocaleString('en-US', { maximumFractionDigits: 2 })}` },
  observed: { label: 'observed value', value: (v) => v.toLocaleString('en-US', { maximumFractionDigits: 4 }) },
};

export const cite = (r: ReportRow): Cite => ({ seq: r.seq, hash: r.hash.slice(0, 12) });
const line = (r: ReportRow, text: string, cites: Cite[]): ReportLine => ({ at: r.occurredAt.toISOString(), text, audit_seq: r.seq, audit_hash: r.hash.slice(0, 12), cites });

/** Sums the contiguous steps from detection: each step starts where the one before it ended. */
function fromDetection(steps: ReportDuration[]): ReportDurations {
  const ms = (s: ReportStep) => steps.find((d) => d.step === s)?.ms;
  const sum = (...parts: (number | undefined)[]) => (parts.every((p) => p !== undefined) ? parts.reduce<number>((a, b) => a + b!, 0) : null);
  const [p, d, e, v] = [ms('detect_to_propose'), ms('propose_to_decide'), ms('decide_to_execute'), ms('execute_to_verify')];
  return { to_proposal_ms: sum(p), to_decision_ms: sum(p, d), to_execution_ms: sum(p, d, e), to_verification_ms: sum(p, d, e, v) };
}
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** A person or a system as a reader names them: `alice`, `the policy`, `the scheduler`. */
function who(r: ReportRow): string {
  if (r.actorType === 'user') return r.actor;
  return `the ${r.actor.replace(/^system:/, '')}`;
}

const plural = (n: number | undefined, word: string) => (n === undefined ? `? ${word}s` : `${n} ${n === 1 ? word : `${word}s`}`);

/** A step's time for people: under a second in ms, otherwise as every other surface words a span. */
export const spoken = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : duration(ms));

/** Each row kind in words, or undefined for rows the timeline leaves to a summary line. */
function inWords(r: ReportRow, facts: ReportFacts): string | undefined {
  const p = r.payload;
  switch (r.kind) {
    case 'incident.opened':
      return `Incident opened: ${str(p.type) ?? ''} on ${str(p.subject) ?? ''}.`;
    case 'incident.closed':
      return `Incident closed (${str(p.reason) ?? 'closed'}) after ${plural(num(p.event_count), 'event')}.`;
    case 'proposal.created': {
      const cls = r.proposalId ? facts.evidenceClass?.get(r.proposalId) : undefined;
      return `Proposed by the ${str(p.reasoner) ?? 'agent'}: ${str(p.summary) ?? str(p.action) ?? 'an action'}${cls ? ` (evidence: ${cls})` : ''}.`;
    }
    case 'risk.scored':
      return `Risk scored ${num(p.score) ?? '?'}${num(p.threshold) !== undefined ? ` against a threshold of ${num(p.threshold)}` : ''}: ${str(p.route) === 'auto' ? 'executes without a person' : 'a person decides'}.`;
    case 'approval.recorded':
      return `First approval by ${who(r)} through ${str(p.channel) ?? 'an unknown channel'} (${num(p.approvals) ?? 1} of ${num(p.required) ?? 2}).`;
    case 'proposal.approved':
      return `Approved by ${who(r)} through ${str(p.channel) ?? 'an unknown channel'}${str(p.reason) ? `: ${str(p.reason)}` : ''}.`;
    case 'proposal.rejected':
      return `Rejected by ${who(r)} through ${str(p.channel) ?? 'an unknown channel'}${str(p.reason) ? `: ${str(p.reason)}` : ''}.`;
    case 'proposal.expired':
      return 'Expired without a decision; no action taken.';
    case 'proposal.superseded':
      return 'Replaced by a newer proposal.';
    case 'proposal.escalated':
      return `Escalated${str(p.reason) ? `: ${str(p.reason)}` : ''}.`;
    case 'proposal.stale':
      return `Not executed: the gateway had changed (${str(p.reason) ?? 'stale'}).`;
    case 'proposal.held':
      return `Held: ${str(p.reason) ?? str(p.check) ?? 'a brake applied'}.`;
    case 'decision.refused':
      return `A decision by ${who(r)} was refused: ${str(p.reason) ?? str(p.code) ?? ''}.`;
    case 'decision.denied':
      return `${who(r)} was not allowed to decide: ${str(p.reason) ?? ''}.`;
    case 'execution.started':
      return `${str(p.operation) === 'revert' ? 'Revert' : 'Execution'} started by ${who(r)}.`;
    case 'execution.succeeded':
      return `${str(p.operation) === 'revert' ? 'Reverted' : 'Executed'}; the gateway answered ${answer(p.response)}.`;
    case 'execution.failed':
      return `${str(p.operation) === 'revert' ? 'Revert' : 'Execution'} failed: ${str(p.error) ?? 'no reason recorded'}.`;
    case 'execution.skipped':
      return `Not executed (${str(p.reason) ?? 'shadow mode'}).`;
    case 'execution.reconciled':
      return `An unfinished execution was reconciled: ${str(p.outcome) ?? ''}.`;
    case 'verification.passed':
      return `Verified${str(p.reason) ? `: ${str(p.reason)}` : ''}.`;
    case 'verification.failed':
      return `Verification failed: ${str(p.reason) ?? ''}${str(p.next) ? ` (next: ${str(p.next)})` : ''}.`;
    case 'action.restored':
      return str(p.note) ? `${str(p.note)!.charAt(0).toUpperCase()}${str(p.note)!.slice(1)}.` : 'The action ran out and the gateway is as before.';
    case 'oncall.paged':
      return `On-call paged: ${str(p.why) ?? ''}.`;
    case 'page.resolved':
      return `Page resolved: ${str(p.reason) ?? ''}.`;
    case 'agent.paused':
      return `The agent was paused by ${who(r)} through ${str(p.channel) ?? '?'}: ${str(p.reason) ?? ''}.`;
    case 'agent.resumed':
      return `The agent was resumed by ${who(r)}${str(p.reason) ? `: ${str(p.reason)}` : ''}.`;
    case 'mode.changed':
      return `The agent switched from ${str(p.from)} to ${str(p.to)} mode.`;
    case 'incident.silenced':
      return `Held by a silence until ${str(p.until) ?? '?'}, made by ${str(p.by) ?? '?'}: ${str(p.reason) ?? ''}.`;
    case 'incident.unsilenced':
      return 'The silence ended; the incident proceeds.';
    default:
      if (r.kind.startsWith('silence.')) return `Silence ${r.kind.slice('silence.'.length)} by ${who(r)}${str(p.reason) ? `: ${str(p.reason)}` : ''}.`;
      return undefined;
  }
}

/** The admin-api's answer in a few words, never a JSON dump. */
function answer(response: unknown): string {
  const r = obj(response);
  const status = num(r.status);
  return status !== undefined ? `${status}${status < 300 ? ' (accepted)' : ''}` : 'with no status recorded';
}

/** Rows the timeline counts rather than lists: one summary line per kind, citing the first and the last. */
const SUMMARISED: Record<string, (n: number, rows: ReportRow[]) => string> = {
  'events.received': (n, rows) => `${plural(rows.reduce((s, r) => s + (num(r.payload.count) ?? 0), 0), 'event')} received in ${n} ${n === 1 ? 'batch' : 'batches'}.`,
  'notification.sent': (n, rows) => `${n} notifications delivered (${[...new Set(rows.map((r) => str(r.payload.channel) ?? '?'))].sort().join(', ')}).`,
  'notification.dead': (n) => `${n} notifications could not be delivered.`,
  'thread.message': (n) => `${n} ${n === 1 ? 'message' : 'messages'} in the Slack thread.`,
  'thread.reply': (n) => `${n} ${n === 1 ? 'reply' : 'replies'} by the agent in the thread.`,
  'decision.duplicate': (n) => `${n} repeated ${n === 1 ? 'click' : 'clicks'} answered without acting.`,
  'events.silenced': (n, rows) => `${plural(rows.reduce((s, r) => s + (Array.isArray(r.payload.event_ids) ? r.payload.event_ids.length : 1), 0), 'event')} arrived while silenced (${n} ${n === 1 ? 'batch' : 'batches'}).`,
};

const UTC_TIME = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
/** "6 Dec, 10:41:12 UTC": an instant inside a line's text (the line's own `at` is the ISO form). */
const utc = (d: Date) => `${UTC_TIME.format(d)} UTC`;

/** The batch rows (events.received) that hold an event, to cite the one a peak came in. */
function batchOf(batches: ReportRow[], eventId: string): ReportRow | undefined {
  return batches.find((r) => Array.isArray(r.payload.event_ids) && (r.payload.event_ids as unknown[]).includes(eventId));
}

/**
 * The events in a few lines however many there are: when they came and how many of each type,
 * the busiest window, the peak of each measured value. Each cites the batches it rests on.
 */
function eventLines(batches: ReportRow[], e: EventFacts): ReportLine[] {
  if (batches.length === 0 || e.total === 0) return [];
  const first = batches[0]!;
  const last = batches[batches.length - 1]!;
  const all = first === last ? [cite(first)] : [cite(first), cite(last)];
  const out: ReportLine[] = [];
  if (e.first && e.last) {
    const types = e.byType.slice(0, 4).map((t) => `${t.type} ${t.n.toLocaleString('en-US')}`);
    const more = e.byType.length > 4 ? `, ${e.byType.length - 4} more types` : '';
    out.push(line(first, `Events occurred from ${utc(e.first)} to ${utc(e.last)} (${spoken(e.last.getTime() - e.first.getTime())}): ${types.join(', ')}${more}.`, all));
  }
  if (e.busiest && e.windows > 1) out.push(line(first, `Busiest ${e.window}: ${e.busiest.n.toLocaleString('en-US')} events from ${utc(e.busiest.at)}; ${e.windows.toLocaleString('en-US')} ${e.window}s saw events, ${Math.round(e.total / e.windows).toLocaleString('en-US')} a ${e.window} on average.`, all));
  for (const p of e.peaks) {
    const f = PEAK_FIELDS[p.field];
    if (!f) continue;
    const at = batchOf(batches, p.eventId) ?? first;
    const latest = p.latest !== null ? `; the latest ${f.value(p.latest)}` : '';
    out.push(line(at, `Peak ${f.label} ${f.value(p.value)} at ${utc(p.at)}${latest}.`, [cite(at)]));
  }
  return out;
}

function timelineOf(rows: ReportRow[], facts: ReportFacts): ReportLine[] {
  const out: { line: ReportLine; seq: number }[] = [];
  const groups = new Map<string, ReportRow[]>();
  for (const r of rows) {
    if (SUMMARISED[r.kind]) {
      const g = groups.get(r.kind);
      if (g) g.push(r);
      else groups.set(r.kind, [r]);
      continue;
    }
    const text = inWords(r, facts);
    if (text) out.push({ line: line(r, text, [cite(r)]), seq: r.seq });
  }
  for (const [kind, g] of groups) {
    const first = g[0]!;
    const last = g[g.length - 1]!;
    const cites = first === last ? [cite(first)] : [cite(first), cite(last)];
    out.push({ line: line(first, SUMMARISED[kind]!(g.length, g), cites), seq: first.seq });
    if (kind === 'events.received' && facts.events) for (const l of eventLines(g, facts.events)) out.push({ line: l, seq: first.seq });
  }
  // Stable: a batch summary's own lines keep their order after it.
  return out.sort((a, b) => a.seq - b.seq).map((x) => x.line);
}

const firstOf = (rows: ReportRow[], pred: (r: ReportRow) => boolean, after?: ReportRow) => rows.find((r) => pred(r) && (!after || r.seq > after.seq));
const op = (r: ReportRow) => str(r.payload.operation) ?? 'execute';

/** detect → propose → decide → execute → verified, and revert: from the first row of each step to the first of the next. */
function durationsOf(rows: ReportRow[]): ReportDuration[] {
  const detect = firstOf(rows, (r) => r.kind === 'incident.opened') ?? rows[0];
  const propose = firstOf(rows, (r) => r.kind === 'proposal.created');
  const decided = propose && firstOf(rows, (r) => r.kind === 'proposal.approved' || r.kind === 'proposal.rejected', propose);
  const execute = decided && firstOf(rows, (r) => (r.kind === 'execution.succeeded' || r.kind === 'execution.failed' || r.kind === 'execution.skipped') && op(r) === 'execute', decided);
  const verify = execute && firstOf(rows, (r) => r.kind === 'verification.passed' || r.kind === 'verification.failed', execute);
  const revert = execute && firstOf(rows, (r) => (r.kind === 'execution.succeeded' && op(r) === 'revert') || r.kind === 'action.restored', execute);
  const pairs: [ReportStep, ReportRow | undefined, ReportRow | undefined][] = [
    ['detect_to_propose', detect, propose],
    ['propose_to_decide', propose, decided],
    ['decide_to_execute', decided, execute],
    ['execute_to_verify', execute, verify],
    ['execute_to_revert', execute, revert],
  ];
  return pairs.flatMap(([step, a, b]) => (a && b ? [{ step, ms: Math.max(0, b.occurredAt.getTime() - a.occurredAt.getTime()), from: cite(a), to: cite(b) }] : []));
}

const pick = (timeline: ReportLine[], rows: ReportRow[], kinds: (k: string) => boolean): ReportLine[] => {
  const seqs = new Set(rows.filter((r) => kinds(r.kind)).map((r) => r.seq));
  return timeline.filter((l) => l.cites.some((c) => seqs.has(c.seq)));
};

function riskLines(rows: ReportRow[]): ReportLine[] {
  return rows
    .filter((r) => r.kind === 'risk.scored')
    .map((r) => {
      const factors = Array.isArray(r.payload.factors) ? r.payload.factors.map(obj) : [];
      const parts = factors.map((f) => `${str(f.reason) ?? str(f.name) ?? '?'} (${(num(f.delta) ?? 0) >= 0 ? '+' : ''}${num(f.delta) ?? 0})`);
      return line(r, `Score ${num(r.payload.score) ?? '?'}: ${parts.length ? parts.join('; ') : 'baseline only'}.`, [cite(r)]);
    });
}

function evidenceLines(rows: ReportRow[], facts: ReportFacts): ReportLine[] {
  return rows
    .filter((r) => r.kind === 'proposal.created')
    .map((r) => {
      const ev = obj(r.payload.evidence);
      const latest = obj(ev.latest_event_data);
      const numbers = Object.entries(latest)
        .filter(([, v]) => typeof v === 'number')
        .slice(0, 6)
        .map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`);
      const cls = r.proposalId ? facts.evidenceClass?.get(r.proposalId) : undefined;
      const text = `${plural(num(ev.event_count), 'event')}${cls ? `, read as ${cls}` : ''}${numbers.length ? `; latest: ${numbers.join(', ')}` : ''}.`;
      return line(r, text, [cite(r)]);
    });
}

export function buildIncidentReport(incident: ReportIncident, rows: ReportRow[], now: Date, facts: ReportFacts = {}): IncidentReport {
  const sorted = [...rows].sort((a, b) => a.seq - b.seq);
  const timeline = timelineOf(sorted, facts);
  const steps = durationsOf(sorted);
  const actions = sorted.filter((r) => r.kind === 'execution.succeeded' && op(r) === 'execute').length;
  const total = steps.find((d) => d.step === 'detect_to_propose');
  const summary = `${incident.type} on ${incident.subject}: ${incident.eventCount} ${incident.eventCount === 1 ? 'event' : 'events'}, ${
    actions === 0 ? 'no action executed' : `${actions} ${actions === 1 ? 'action' : 'actions'} executed`
  }${total ? `; first proposal ${spoken(total.ms)} after detection` : ''}; ${incident.status === 'open' ? 'still open' : `closed ${incident.closedAt?.toISOString() ?? ''}`.trim()}.`;
  return {
    incident: {
      id: incident.id,
      type: incident.type,
      subject: incident.subject,
      status: incident.status,
      first_seen: incident.firstSeen.toISOString(),
      last_seen: incident.lastSeen.toISOString(),
      closed_at: incident.closedAt?.toISOString() ?? null,
      event_count: incident.eventCount,
    },
    generated_at: now.toISOString(),
    summary,
    timeline,
    durations: fromDetection(steps),
    steps,
    decisions: pick(timeline, sorted, (k) => k === 'proposal.approved' || k === 'proposal.rejected' || k === 'approval.recorded' || k === 'proposal.expired' || k.startsWith('decision.')),
    evidence: evidenceLines(sorted, facts),
    events: pick(timeline, sorted, (k) => k === 'events.received' || k === 'events.silenced'),
    risk: riskLines(sorted),
    executions: pick(timeline, sorted, (k) => k.startsWith('execution.') || k.startsWith('verification.') || k === 'action.restored' || k === 'oncall.paged' || k === 'page.resolved'),
    brakes: pick(timeline, sorted, (k) => k === 'agent.paused' || k === 'agent.resumed' || k === 'mode.changed' || k === 'proposal.held' || k.startsWith('silence') || k === 'events.silenced' || k === 'incident.silenced' || k === 'incident.unsilenced'),
  };
}

export const STEP_LABEL: Record<ReportStep, string> = {
  detect_to_propose: 'Detect → propose',
  propose_to_decide: 'Propose → decide',
  decide_to_execute: 'Decide → execute',
  execute_to_verify: 'Execute → verified',
  execute_to_revert: 'Execute → reverted',
};

/**
 * What the model is given for the narrative: the report's own lines as text, each naming its audit
 * row, and nothing else (no raw rows, no payloads); the caller fences it as data.
 */
export function narrativeFacts(r: IncidentReport): string {
  const list = (title: string, ls: ReportLine[]) => (ls.length ? [`${title}:`, ...ls.slice(0, 80).map((l) => `- [audit #${l.audit_seq}, ${l.at.slice(0, 19).replace('T', ' ')} UTC] ${l.text}`)] : []);
  return [
    `Incident: ${r.incident.type} on ${r.incident.subject}, ${r.incident.status}, ${r.incident.event_count} events.`,
    `Summary: ${r.summary}`,
    ...(r.steps.length ? ['How long each step took:', ...r.steps.map((d) => `- ${STEP_LABEL[d.step]}: ${spoken(d.ms)}`)] : []),
    ...list('Timeline', r.timeline),
    ...list('Evidence', r.evidence),
    ...list('Risk', r.risk),
  ].join('\n');
}

export const NARRATIVE_HEADING = 'Narrative (written by the model, not a record)';

/** Markdown has no escaping for every reader; keep operator text from opening structure of its own. */
const md = (s: string) => s.replace(/[\\`*[\]<>|#]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
const citeText = (cs: Cite[]) => cs.map((c) => `#${c.seq} ${c.hash}`).join(' … ');

export function reportMarkdown(r: IncidentReport): string {
  const section = (title: string, lines: ReportLine[]) => (lines.length ? [`## ${title}`, '', ...lines.map((l) => `- ${l.at.slice(0, 19).replace('T', ' ')}Z — ${md(l.text)} _(audit ${citeText(l.cites)})_`), ''] : []);
  return [
    `# Incident ${md(r.incident.id)}: ${md(r.incident.type)} on ${md(r.incident.subject)}`,
    '',
    md(r.summary),
    '',
    `First event ${r.incident.first_seen}, last ${r.incident.last_seen}${r.incident.closed_at ? `, closed ${r.incident.closed_at}` : ''}. Every line cites its audit row (seq and hash prefix); \`sre-agent audit verify\` vouches for them.`,
    '',
    ...(r.steps.length
      ? ['## How long each step took', '', '| step | took | audit rows |', '| --- | --- | --- |', ...r.steps.map((d) => `| ${STEP_LABEL[d.step]} | ${spoken(d.ms)} | #${d.from.seq} ${d.from.hash} → #${d.to.seq} ${d.to.hash} |`), '']
      : []),
    ...section('Timeline', r.timeline),
    ...section('Events', r.events ?? []),
    ...section('Decisions', r.decisions),
    ...section('Evidence', r.evidence),
    ...section('Risk', r.risk),
    ...section('What executed and what the gateway answered', r.executions),
    ...section('Brakes that applied (pauses, shadow mode, silences)', r.brakes),
    ...(r.narrative ? [`## ${NARRATIVE_HEADING}`, '', `> ${md(r.narrative.text)}`, '', `_Written by ${md(r.narrative.model)} from the lines above; it cites nothing and \`audit verify\` does not vouch for it._`, ''] : []),
    ...(!r.narrative && r.narrative_unavailable ? [`## ${NARRATIVE_HEADING}`, '', `_${md(r.narrative_unavailable)}_`, ''] : []),
    `_Generated ${r.generated_at}._`,
    '',
  ].join('\n');
}
