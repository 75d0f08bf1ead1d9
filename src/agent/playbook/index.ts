import type { Logger } from 'pino';
import type { GatewayReads } from '../../actions/gateway.js';
import { normalizeAction, specFor } from '../../domain/actions.js';
import type { IncidentContext, ProposalDraft, Reasoner, ThreadAnswer, ThreadMessage } from '../reasoner.js';
import { classifyEvidence } from '../evidence.js';
import { budgetExceeded } from './budget-exceeded.js';
import { evidenceSentence } from './evidence-text.js';
import { lastTimeSentence } from './last-time.js';
import { latencySpike } from './latency-spike.js';
import { operatorPlan, parseIntent } from './operator.js';
import { unreadable, type Plan } from './plan.js';
import { providerUnhealthy } from './provider-unhealthy.js';
import { Reads } from './reads.js';
import { followRunbook } from './runbook.js';
import { slaViolation } from './sla-violation.js';
import { iso, latestSummary, plain, quoted } from './text.js';

/**
 * The deterministic, offline reasoner: one rule per event type (a file each), refined by what the
 * gateway says (healthy alternatives, current routing, limits) and by what the errors say. Every read
 * may fail; the rule then decides on the event alone and says so. Event and thread text is data.
 */

export { breakDuration } from './provider-unhealthy.js';
export { slaSeverity } from './sla-violation.js';
export { parseIntent, defaultRaise } from './operator.js';
export { plain, quoted } from './text.js';

export interface PlaybookOptions {
  logger?: Logger;
  /** A read slower than this is treated as unavailable. */
  readTimeoutMs?: number;
}

function rule(ctx: IncidentContext, reads: Reads): Promise<Plan> | Plan {
  switch (ctx.incident.type) {
    case 'provider.unhealthy':
      return providerUnhealthy(ctx, reads);
    case 'latency.spike':
      return latencySpike(ctx, reads);
    case 'budget.exceeded':
      return budgetExceeded(ctx, reads);
    case 'sla.violation':
      return slaViolation(ctx);
    default:
      return unreadable(ctx, 'the incident type is not one the playbook knows');
  }
}

function sameParams(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('reason');
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

export class PlaybookReasoner implements Reasoner {
  readonly name = 'playbook' as const;
  private readonly logger: Logger | undefined;
  private readonly readTimeoutMs: number;

  constructor(options: PlaybookOptions = {}) {
    this.logger = options.logger;
    this.readTimeoutMs = options.readTimeoutMs ?? 2_000;
  }

  async propose(ctx: IncidentContext, gateway: GatewayReads): Promise<ProposalDraft> {
    const reads = this.reads(gateway);
    const plan = await followRunbook(ctx, reads, await rule(ctx, reads));
    const last = lastTimeSentence(ctx);
    return this.finish(ctx, last ? { ...plan, sentences: [...plan.sentences, last] } : plan);
  }

  async converse(ctx: IncidentContext, thread: ThreadMessage[], gateway: GatewayReads): Promise<ThreadAnswer> {
    // The service records the agent's own replies as author 'agent'; answer the operator.
    const last = thread.findLast((m) => m.author !== 'agent');
    const facts = this.describeIncident(ctx);
    if (!last) return { reply: `${facts} ${this.capabilities(ctx)}`, trace: { reasoner: 'playbook', intent: 'none' } };
    const intent = parseIntent(last.text);
    const trace: Record<string, unknown> = { reasoner: 'playbook', intent: intent.kind, numbers: intent.numbers };
    if (intent.kind === 'facts' || intent.kind === 'unknown') {
      const tail = intent.kind === 'unknown' ? ` I did not read a request for another action in that. ${this.capabilities(ctx)}` : '';
      return { reply: `${facts}${tail}`, trace };
    }
    const reads = this.reads(gateway);
    const plan = await operatorPlan(intent, ctx, reads, async () => rule(ctx, reads));
    if ('refusal' in plan) return { reply: `${plan.refusal} ${this.capabilities(ctx)}`, trace };
    if (ctx.runbook?.never.includes(plan.action)) {
      return { reply: `The runbook ${plain(ctx.runbook.path, 200)} forbids ${plan.action} for this incident (never), so I will not propose it. ${this.capabilities(ctx)}`, trace };
    }
    const asked = `Asked in the incident thread by ${quoted(last.author, 60)}: ${quoted(last.text, 160)}.`;
    const draft = this.finish(ctx, { ...plan, sentences: [asked, ...plan.sentences], rule: `thread:${plan.rule}` });
    if (draft.action !== plan.action) {
      return { reply: `I could not build a valid ${plan.action} from this incident. ${this.capabilities(ctx)}`, trace };
    }
    const normalized = normalizeAction(draft.action, draft.params);
    const described = normalized.ok ? specFor(normalized.request.action).describe(normalized.request.params) : draft.action;
    const pending = ctx.pending;
    if (pending && pending.action === draft.action && normalized.ok && sameParams(pending.params, normalized.request.params)) {
      return { reply: `That is already the pending proposal: ${described} (risk ${pending.riskScore}). Approve or reject it as it is.`, trace };
    }
    const clamps = (draft.adjustments ?? []).map((a) => ` ${a.field} was clamped from ${String(a.from)} to ${String(a.to)} (${a.reason}).`).join('');
    const warn = plan.facts.warning ? ` Note: ${String(plan.facts.warning)}` : '';
    const replaces = pending ? ` It replaces the pending ${pending.action} (risk ${pending.riskScore});` : '';
    return {
      reply: `Proposed instead: ${described}.${clamps}${warn}${replaces} it is risk-scored again and a human decides unless policy auto-approves it.`,
      revision: draft,
      trace,
    };
  }

  private reads(gateway: GatewayReads): Reads {
    return new Reads(gateway, this.readTimeoutMs, this.logger);
  }

  /** Checks a plan against the action library; a plan that fails becomes a page with the reason. */
  private finish(ctx: IncidentContext, plan: Plan): ProposalDraft {
    const n = normalizeAction(plan.action, plan.params);
    if (!n.ok) {
      this.logger?.warn({ incident_id: ctx.incident.id, action: plan.action, problems: n.problems }, 'playbook plan failed validation; paging instead');
      if (plan.action === 'page_oncall') throw new Error(`playbook built an invalid page: ${n.problems.join('; ')}`);
      return this.finish(ctx, { ...unreadable(ctx, `a ${plan.action} could not be built from the incident (${n.problems.join('; ').slice(0, 200)})`), rule: `${plan.rule}:invalid` });
    }
    return {
      action: n.request.action,
      params: { ...n.request.params },
      reasoning: plan.sentences.join(' '),
      reasoner: 'playbook',
      ...(n.adjustments.length > 0 ? { adjustments: n.adjustments } : {}),
      trace: { reasoner: 'playbook', rule: plan.rule, facts: plan.facts },
    };
  }

  private describeIncident(ctx: IncidentContext): string {
    const i = ctx.incident;
    const parts = [
      `Incident ${plain(i.type, 40)} on ${plain(i.subject, 200)} (${plain(i.status, 20)}): first seen ${iso(i.firstSeen)}, last seen ${iso(i.lastSeen)}, ${i.eventCount} event${i.eventCount === 1 ? '' : 's'}.`,
      `Latest data: ${latestSummary(i.latest)}.`,
    ];
    const samples = Array.isArray(i.latest.sample_errors) ? i.latest.sample_errors.filter((x): x is string => typeof x === 'string') : [];
    if (i.type === 'provider.unhealthy' && samples.length > 0) parts.push(evidenceSentence(classifyEvidence({ sampleErrors: samples }), samples));
    const p = ctx.pending;
    if (p) {
      const n = normalizeAction(p.action, p.params);
      const what = n.ok ? specFor(n.request.action).describe(n.request.params) : p.action;
      parts.push(`Waiting for a decision: ${plain(what, 300)}, risk score ${p.riskScore}.`);
    } else {
      // Only what is waiting is known here; what already executed (and how to undo it) is shown
      // beside this reply by the channel, so nothing here may read as "nothing was done".
      parts.push('Nothing is waiting for a decision.');
    }
    return parts.join(' ');
  }

  private capabilities(ctx: IncidentContext): string {
    const t = ctx.incident.type;
    const can = ['"page on-call" (optionally with a severity)'];
    if (t === 'provider.unhealthy' || t === 'latency.spike') can.unshift('"circuit-break it" (or "break for 60s")', '"re-route instead"');
    if (t === 'sla.violation' && typeof ctx.incident.latest.team === 'string') can.push('"raise the rate limit by 20%"');
    if (t === 'budget.exceeded') can.push('"bump the budget cap by 20%"');
    return `For this incident I can propose: ${can.join(', ')}; ask "status" for the facts.`;
  }
}
