import type { ActionId } from '../../domain/actions.js';
import type { IncidentContext } from '../reasoner.js';
import { clip, iso, plain, quoted, REASON_MAX, SUMMARY_MAX } from './text.js';

export type Severity = 'critical' | 'error' | 'warning' | 'info';

/** What a rule decided, before it is checked against the action library. */
export interface Plan {
  action: ActionId;
  params: Record<string, unknown>;
  sentences: string[];
  rule: string;
  facts: Record<string, unknown>;
}

/** A page: the action every rule falls back on when no gateway change fits the evidence. */
export function pagePlan(opts: { severity: Severity; summary: string; reason: string; sentences: string[]; rule: string; facts: Record<string, unknown> }): Plan {
  return {
    action: 'page_oncall',
    params: { severity: opts.severity, summary: clip(opts.summary, SUMMARY_MAX), reason: clip(opts.reason, REASON_MAX) },
    sentences: opts.sentences,
    rule: opts.rule,
    facts: opts.facts,
  };
}

/** "at <time> (\"reason\")" when the same action on the same target was rejected in the last 24 h. */
export function recentlyRejected(ctx: IncidentContext, action: ActionId, target: string): string | undefined {
  const since = ctx.now.getTime() - 24 * 3_600_000;
  const h = ctx.history.find((x) => x.action === action && x.target === target && x.status === 'rejected' && x.createdAt.getTime() >= since);
  if (!h) return undefined;
  const by = h.decidedBy ? ` by ${quoted(h.decidedBy, 60)}` : '';
  const why = h.decisionReason ? ` saying ${quoted(h.decisionReason, 160)}` : '';
  return `at ${iso(h.createdAt)}${by}${why}`;
}

export function unreadable(ctx: IncidentContext, why: string): Plan {
  const subject = plain(ctx.incident.subject, 200);
  return pagePlan({
    severity: 'warning',
    summary: `[sre-agent] ${plain(ctx.incident.type, 40)} on ${subject} needs a human: ${why}`,
    reason: `the playbook could not choose an automatic remediation: ${why}`,
    sentences: [
      `Observed: ${ctx.incident.eventCount} ${plain(ctx.incident.type, 40)} event(s) on ${subject} since ${iso(ctx.incident.firstSeen)}, but ${why}.`,
      'Without trustworthy facts no gateway change is safe, so the playbook pages on-call (warning) instead of acting.',
      'If nothing is done, the incident stays open with nobody looking at it.',
    ],
    rule: 'fallback:page',
    facts: {},
  });
}
