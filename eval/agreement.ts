/** Agreement of a replayed proposal with the person who decided the recorded one (docs/replay.md). Pure. */
import type { DecisionRecord } from '../src/domain/decision-record.js';

export interface Replayed {
  record: DecisionRecord;
  action: string;
  /** What it acts on (`subjectOf`): a page's is its incident's key, as the recorded target is. */
  target: string;
  params: Record<string, unknown>;
  score: number;
  /** Today's policy would execute it without a person. */
  auto: boolean;
  /** Code refused the reasoner's action and paged instead (why). */
  refused?: string | undefined;
  fallback?: string | undefined;
  runbook?: string | undefined;
}

export interface Compared extends Replayed {
  /** The same action on the same subject as the recorded proposal. */
  same: boolean;
  agrees: boolean;
  /** A person rejected the recorded proposal and today it would execute the same action by itself (a page aside). */
  autoRejected: boolean;
  /** A person rejected the recorded page and today it would page again without asking (SRE_PAGE_WITHOUT_APPROVAL). */
  pagesAgain: boolean;
  actionChanged: boolean;
  /** Same action, different parameters (the free-text reason aside). */
  paramsChanged: boolean;
  scoreDelta: number;
}

function sameParams(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('reason');
  keys.delete('summary');
  for (const k of keys) if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return false;
  return true;
}

/**
 * Approved: the replay agrees when it proposes the same action on the same subject again.
 * Rejected: it agrees when it proposes anything else (another action, another subject, or a page
 * where the rejected proposal was not one).
 */
export function compareOne(r: Replayed): Compared {
  const p = r.record.proposal;
  const same = r.action === p.action && r.target === p.target;
  const approved = r.record.decision.decision === 'approved';
  return {
    ...r,
    same,
    agrees: approved ? same : !same,
    autoRejected: !approved && same && r.auto && r.action !== 'page_oncall',
    pagesAgain: !approved && same && r.auto && r.action === 'page_oncall',
    actionChanged: r.action !== p.action,
    paramsChanged: r.action === p.action && !sameParams(r.params, p.params),
    scoreDelta: r.score - p.risk_score,
  };
}

export interface ActionRow {
  /** The recorded proposal's action. */
  action: string;
  decisions: number;
  approved: number;
  rejected: number;
  agree: number;
  /** agree / decisions. */
  agreement: number;
  autoRejected: number;
  pagesAgain: number;
  actionChanged: number;
  paramsChanged: number;
  scoreChanged: number;
  meanScoreDelta: number;
}

function rowOf(action: string, list: readonly Compared[]): ActionRow {
  const n = list.length;
  const count = (f: (c: Compared) => boolean) => list.filter(f).length;
  const agree = count((c) => c.agrees);
  return {
    action,
    decisions: n,
    approved: count((c) => c.record.decision.decision === 'approved'),
    rejected: count((c) => c.record.decision.decision === 'rejected'),
    agree,
    agreement: n === 0 ? 0 : agree / n,
    autoRejected: count((c) => c.autoRejected),
    pagesAgain: count((c) => c.pagesAgain),
    actionChanged: count((c) => c.actionChanged),
    paramsChanged: count((c) => c.paramsChanged),
    scoreChanged: count((c) => c.scoreDelta !== 0),
    meanScoreDelta: n === 0 ? 0 : list.reduce((a, c) => a + c.scoreDelta, 0) / n,
  };
}

/** One row per recorded action (sorted), then the total. */
export function summarize(list: readonly Compared[]): { rows: ActionRow[]; total: ActionRow } {
  const actions = [...new Set(list.map((c) => c.record.proposal.action))].sort();
  return { rows: actions.map((a) => rowOf(a, list.filter((c) => c.record.proposal.action === a))), total: rowOf('all actions', list) };
}

const pad = (v: unknown, n: number) => String(v).slice(0, n).padEnd(n);
const pct = (k: number) => `${Math.round(k * 1000) / 10} %`;
const signed = (v: number) => `${v > 0 ? '+' : ''}${Math.round(v * 10) / 10}`;

export function formatReplay(list: readonly Compared[], head: string): string[] {
  const { rows, total } = summarize(list);
  const header = `${pad('recorded action', 23)} ${pad('decided', 7)} ${pad('approved', 8)} ${pad('rejected', 8)} ${pad('agree', 5)} ${pad('agreement', 9)} ${pad('auto-rej', 8)} ${pad('act-chg', 7)} ${pad('par-chg', 7)} ${pad('risk-chg', 8)} ${pad('mean-d', 6)}`;
  const line = (r: ActionRow) =>
    `${pad(r.action, 23)} ${pad(r.decisions, 7)} ${pad(r.approved, 8)} ${pad(r.rejected, 8)} ${pad(r.agree, 5)} ${pad(pct(r.agreement), 9)} ${pad(r.autoRejected, 8)} ${pad(r.actionChanged, 7)} ${pad(r.paramsChanged, 7)} ${pad(r.scoreChanged, 8)} ${pad(signed(r.meanScoreDelta), 6)}`;
  return [
    head,
    header,
    '-'.repeat(header.length),
    ...rows.map(line),
    '-'.repeat(header.length),
    line(total),
    `agreement with the people who decided: ${total.agree}/${total.decisions} (${pct(total.agreement)})`,
    `would now execute by itself what a person rejected: ${total.autoRejected}${list
      .filter((c) => c.autoRejected)
      .map((c) => `\n  ${c.record.proposal.id} (${c.record.incident.subject}): ${c.action}, risk ${c.score}, rejected by ${c.record.decision.by}${c.record.decision.reason ? `: "${c.record.decision.reason.slice(0, 120)}"` : ''}`)
      .join('')}`,
    ...(total.pagesAgain > 0 ? [`would page again without asking where a person rejected the page: ${total.pagesAgain} (SRE_PAGE_WITHOUT_APPROVAL; not a failure: a page changes nothing on the gateway)`] : []),
  ];
}

/** Each decision whose replay differs from what was recorded, for --verbose. */
export function formatChanges(list: readonly Compared[]): string[] {
  return list
    .filter((c) => c.actionChanged || c.paramsChanged || c.scoreDelta !== 0)
    .map((c) => {
      const p = c.record.proposal;
      const what = c.actionChanged ? `${p.action} → ${c.action}` : c.paramsChanged ? `${p.action}: ${JSON.stringify(p.params)} → ${JSON.stringify(c.params)}` : p.action;
      return `${p.id} (${c.record.decision.decision}, ${c.agrees ? 'agrees' : 'disagrees'}): ${what}; risk ${p.risk_score} → ${c.score}${c.refused ? `; refused by code: ${c.refused}` : ''}${c.runbook ? `; runbook ${c.runbook}` : ''}`;
    });
}
