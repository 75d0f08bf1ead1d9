import type { Logger } from 'pino';
import { z } from 'zod';
import type { GatewayReads } from '../actions/gateway.js';
import { MAX_CIRCUIT_BREAK_SECONDS, normalizeAction, specFor, type ActionId, type Adjustment } from '../domain/actions.js';
import { BudgetExceededData, LatencySpikeData, ProviderUnhealthyData, SlaViolationData } from '../domain/events.js';
import type { IncidentContext, ProposalDraft, Reasoner, ThreadAnswer, ThreadMessage } from './reasoner.js';

/**
 * The deterministic, offline reasoner: one rule per event type, refined by what the gateway says
 * (healthy alternatives, current routing, limits). Every read may fail; the rule then decides on the
 * event alone and says so. Event and thread text is data: it is bounded and quoted, never obeyed.
 */

type Severity = 'critical' | 'error' | 'warning' | 'info';

export interface PlaybookOptions {
  logger?: Logger;
  /** A read slower than this is treated as unavailable. */
  readTimeoutMs?: number;
}

interface GroupView {
  name: string;
  group?: GroupRead;
  /** Healthy providers of the group other than the incident's; undefined when the group could not be read. */
  alternatives?: string[];
}
interface Surroundings {
  info?: ProviderRead;
  /** The group the event names, if any. */
  named?: GroupView;
  groups: GroupView[];
}

/** What a rule decided, before it is checked against the action library. */
interface Plan {
  action: ActionId;
  params: Record<string, unknown>;
  sentences: string[];
  rule: string;
  facts: Record<string, unknown>;
}

// The gateway is another system: its answers are checked before anything is built on them.
const ProviderRead = z.looseObject({
  name: z.string(),
  healthy: z.boolean(),
  requests_per_minute: z.number().optional(),
  teams: z.number().optional(),
  model_groups: z.array(z.string()).optional(),
  circuit_open_until: z.string().nullable().optional(),
});
type ProviderRead = z.infer<typeof ProviderRead>;
const GroupRead = z.looseObject({
  name: z.string(),
  provider: z.string().trim().min(1).max(200),
  providers: z.array(z.looseObject({ name: z.string().trim().min(1).max(200), healthy: z.boolean() })),
  requests_per_minute: z.number().optional(),
  teams: z.number().optional(),
});
type GroupRead = z.infer<typeof GroupRead>;
const TeamRead = z.looseObject({ id: z.string(), requests_per_minute: z.number().int().positive() });
const BudgetRead = z.looseObject({
  hard_limit_usd: z.number().positive(),
  soft_limit_usd: z.number().optional(),
  spend_usd: z.number().optional(),
});

const REASON_MAX = 500;
const SUMMARY_MAX = 1024;

/** One line of untrusted text: control characters removed, whitespace collapsed, bounded. */
export function plain(text: string, max = 80): string {
  // eslint-disable-next-line no-control-regex
  const t = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** A bounded, quoted excerpt of untrusted text (sample errors, operator words). */
export function quoted(text: string, max = 120): string {
  return `"${plain(text, max).replace(/"/g, "'")}"`;
}

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const pct = (n: number) => `${Math.round(n * 100)} %`;
const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');

/** Circuit-break length from the error rate: longer when the provider is mostly failing, never above the bound. */
export function breakDuration(errorRate: number): number {
  const d = errorRate >= 0.5 ? 300 : errorRate >= 0.1 ? 120 : 60;
  return Math.min(MAX_CIRCUIT_BREAK_SECONDS, d);
}

/** How badly an SLA is missed, as a page severity; success rates may be fractions or percentages. */
export function slaSeverity(metric: string, target: number, observed: number): { severity: Severity; ratio: number } {
  let ratio: number;
  if (metric === 'success_rate') {
    const scale = target > 1 || observed > 1 ? 100 : 1;
    const allowed = scale - target;
    const failing = scale - observed;
    ratio = allowed > 0 ? failing / allowed : failing > 0 ? Number.POSITIVE_INFINITY : 1;
    const severity: Severity = ratio >= 10 ? 'critical' : ratio >= 4 ? 'error' : ratio > 1.5 ? 'warning' : 'info';
    return { severity, ratio };
  }
  ratio = target > 0 ? observed / target : observed > 0 ? Number.POSITIVE_INFINITY : 1;
  const severity: Severity = ratio >= 2 ? 'critical' : ratio >= 1.5 ? 'error' : ratio > 1.1 ? 'warning' : 'info';
  return { severity, ratio };
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
    return this.finish(ctx, await this.plan(ctx, gateway));
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
    const plan = await this.planFor(intent, ctx, gateway);
    if ('refusal' in plan) return { reply: `${plan.refusal} ${this.capabilities(ctx)}`, trace };
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

  // ---- rules ---------------------------------------------------------------------------------

  private async plan(ctx: IncidentContext, gw: GatewayReads): Promise<Plan> {
    switch (ctx.incident.type) {
      case 'provider.unhealthy':
        return this.providerUnhealthy(ctx, gw);
      case 'latency.spike':
        return this.latencySpike(ctx, gw);
      case 'budget.exceeded':
        return this.budgetExceeded(ctx, gw);
      case 'sla.violation':
        return this.slaViolation(ctx);
      default:
        return unreadable(ctx, 'the incident type is not one the playbook knows');
    }
  }

  private async providerUnhealthy(ctx: IncidentContext, gw: GatewayReads): Promise<Plan> {
    const parsed = ProviderUnhealthyData.safeParse(ctx.incident.latest);
    if (!parsed.success) return unreadable(ctx, 'the latest event data could not be read');
    const e = parsed.data;
    const provider = plain(e.provider, 100);
    const { info, groups } = await this.surroundings(gw, e.provider, e.model_group);
    const readable = groups.filter((g) => g.alternatives !== undefined);
    const stranded = readable.find((g) => g.alternatives!.length === 0);
    const alternatives = readable.length > 0 ? [...new Set(readable.flatMap((g) => g.alternatives!))] : undefined;
    const observed =
      `Observed: provider ${provider} failed ${pct(e.error_rate)} of ${e.requests} requests over ${e.window_seconds} s` +
      ` (${ctx.incident.eventCount} event${ctx.incident.eventCount === 1 ? '' : 's'} since ${iso(ctx.incident.firstSeen)}).`;
    const sample = e.sample_errors?.[0];
    const sentences = [observed];
    if (sample) sentences.push(`A sample error reads ${quoted(sample)} (quoted as data).`);
    const facts: Record<string, unknown> = {
      provider: e.provider,
      error_rate: e.error_rate,
      model_groups: groups.map((g) => g.name),
      healthy_alternatives: readable.length > 0 ? Math.min(...readable.map((g) => g.alternatives!.length)) : null,
      requests_per_minute: info?.requests_per_minute ?? groups[0]?.group?.requests_per_minute ?? null,
      teams: info?.teams ?? groups[0]?.group?.teams ?? null,
    };
    const severity: Severity = e.error_rate >= 0.5 ? 'critical' : 'error';

    if (stranded) {
      const groupName = stranded.name;
      sentences.push(
        `Model group ${plain(groupName, 100)} has no other healthy provider, so a circuit-break would turn partial failures into a full outage for its traffic.`,
        `Paging on-call (${severity}) puts a human on it instead; the alternative, breaking the circuit anyway, would shed every request of the group.`,
        `If nothing is done, ${pct(e.error_rate)} of requests keep failing until the provider recovers by itself.`,
      );
      return {
        action: 'page_oncall',
        params: {
          severity,
          summary: clip(`[sre-agent] provider ${provider} failing ${pct(e.error_rate)} of requests; no healthy alternative in model group ${plain(groupName, 100)}`, SUMMARY_MAX),
          reason: clip(`${provider} at ${pct(e.error_rate)} errors and its model group has no healthy alternative: a circuit-break would be an outage`, REASON_MAX),
        },
        sentences,
        rule: 'provider.unhealthy:no-alternative',
        facts,
      };
    }

    const openUntil = info?.circuit_open_until ? Date.parse(info.circuit_open_until) : Number.NaN;
    if (openUntil > ctx.now.getTime()) {
      sentences.push(
        `The gateway reports ${provider}'s circuit already open until ${iso(new Date(openUntil))}, so another break would change nothing; these events may predate it.`,
        'Paging on-call (warning) keeps a human informed; if the provider still fails once the breaker restores itself, the next events will show it.',
        `If nothing is done, the breaker closes on its own at ${iso(new Date(openUntil))}.`,
      );
      return {
        action: 'page_oncall',
        params: {
          severity: 'warning',
          summary: clip(`[sre-agent] provider ${provider} still reported failing while its circuit is open until ${iso(new Date(openUntil))}`, SUMMARY_MAX),
          reason: clip(`${provider}'s circuit is already open; breaking again would change nothing`, REASON_MAX),
        },
        sentences,
        rule: 'provider.unhealthy:already-open',
        facts,
      };
    }

    const rejected = recentlyRejected(ctx, 'circuit_break_provider', `provider:${e.provider}`);
    if (rejected) {
      sentences.push(
        `A circuit-break of ${provider} was rejected ${rejected}, so the playbook does not propose it again.`,
        `Paging on-call (${severity}) asks that human's colleagues to look at the errors instead.`,
        `If nothing is done, about ${pct(e.error_rate)} of requests to ${provider} keep failing.`,
      );
      return {
        action: 'page_oncall',
        params: {
          severity,
          summary: clip(`[sre-agent] provider ${provider} failing ${pct(e.error_rate)} of requests; a circuit-break was rejected recently`, SUMMARY_MAX),
          reason: clip(`${provider} failing and a circuit-break of it was rejected in the last 24 h`, REASON_MAX),
        },
        sentences,
        rule: 'provider.unhealthy:rejected',
        facts,
      };
    }

    const since = ctx.now.getTime() - 6 * 3_600_000;
    const breaks = ctx.history.filter(
      (h) =>
        h.action === 'circuit_break_provider' &&
        h.target === `provider:${e.provider}` &&
        ['approved', 'executing', 'succeeded'].includes(h.status) &&
        h.createdAt.getTime() >= since,
    ).length;
    facts.recent_breaks = breaks;
    if (breaks >= 2) {
      sentences.push(
        `The provider was already circuit-broken ${breaks} times in the last 6 h and is failing again, so another break would only postpone the problem.`,
        `Paging on-call (error) hands it to a human who can talk to the provider or change routing for good; the alternative is a third break.`,
        `If nothing is done, ${pct(e.error_rate)} of its requests keep failing.`,
      );
      return {
        action: 'page_oncall',
        params: {
          severity: 'error',
          summary: clip(`[sre-agent] provider ${provider} failing ${pct(e.error_rate)} of requests again after ${breaks} circuit-breaks in 6 h`, SUMMARY_MAX),
          reason: clip(`${provider} keeps failing after ${breaks} circuit-breaks in 6 h; breaking again does not hold`, REASON_MAX),
        },
        sentences,
        rule: 'provider.unhealthy:repeated',
        facts,
      };
    }

    const duration = breakDuration(e.error_rate);
    const where = alternatives
      ? `to ${alternatives.slice(0, 3).map((a) => plain(a, 60)).join(', ')}`
      : groups.length > 0 || !info
        ? 'to whatever alternatives the gateway has (its model group could not be read)'
        : 'to whatever alternatives the gateway has (no model group is known for it)';
    sentences.push(
      `Circuit-breaking ${provider} for ${duration} s sheds its traffic ${where}; the length grows with the error rate (60 s under 10 %, 120 s under 50 %, 300 s above) and the breaker restores itself.`,
      `The alternative, paging on-call, is slower and leaves requests failing meanwhile; re-routing the model group would be a lasting change for what may be a passing failure.`,
      `If nothing is done, about ${pct(e.error_rate)} of requests to ${provider} keep failing.`,
    );
    return {
      action: 'circuit_break_provider',
      params: {
        provider: e.provider,
        duration_seconds: duration,
        reason: clip(`${provider} failing ${pct(e.error_rate)} of ${e.requests} requests over ${e.window_seconds} s; shed its traffic for ${duration} s`, REASON_MAX),
      },
      sentences,
      rule: 'provider.unhealthy:circuit-break',
      facts,
    };
  }

  private async latencySpike(ctx: IncidentContext, gw: GatewayReads): Promise<Plan> {
    const parsed = LatencySpikeData.safeParse(ctx.incident.latest);
    if (!parsed.success) return unreadable(ctx, 'the latest event data could not be read');
    const e = parsed.data;
    const provider = plain(e.provider, 100);
    const ratio = e.latency_ms / Math.max(1, e.rolling_median_ms);
    const { named } = await this.surroundings(gw, e.provider, e.model_group);
    const groupName = named?.name;
    const group = named?.group;
    const alternatives = named?.alternatives;
    const what = e.model ? `${provider} (${plain(e.model, 100)})` : provider;
    const sentences = [
      `Observed: latency on ${what} is ${Math.round(e.latency_ms)} ms against a rolling median of ${Math.round(e.rolling_median_ms)} ms (${ratio.toFixed(1)}×), ${ctx.incident.eventCount} event${ctx.incident.eventCount === 1 ? '' : 's'} since ${iso(ctx.incident.firstSeen)}.`,
    ];
    const facts: Record<string, unknown> = {
      provider: e.provider,
      ratio: Math.round(ratio * 100) / 100,
      model_group: groupName ?? null,
      primary: group?.provider ?? null,
      healthy_alternatives: alternatives?.length ?? null,
      requests_per_minute: group?.requests_per_minute ?? null,
      teams: group?.teams ?? null,
    };
    const severity: Severity = ratio >= 5 ? 'error' : 'warning';
    const page = (why: string, rule: string, sev: Severity = severity): Plan => {
      sentences.push(
        why,
        `Paging on-call (${sev}) asks a human to look; circuit-breaking a slow but working provider would cost more than it saves.`,
        `If nothing is done, requests on ${what} stay about ${ratio.toFixed(1)}× slower than usual.`,
      );
      return {
        action: 'page_oncall',
        params: {
          severity: sev,
          summary: clip(`[sre-agent] latency on ${what} at ${Math.round(e.latency_ms)} ms (${ratio.toFixed(1)}× its median)`, SUMMARY_MAX),
          reason: clip(`latency spike on ${what} (${ratio.toFixed(1)}× median); ${why}`, REASON_MAX),
        },
        sentences,
        rule,
        facts,
      };
    };
    if (!group || !groupName) {
      return page(
        groupName ? `Model group ${plain(groupName, 100)} could not be read, so no healthy alternative is known.` : 'The event names no model group, so there is no group whose routing could be checked and changed.',
        'latency.spike:no-group',
      );
    }
    const gName = plain(groupName, 100);
    if (group.provider !== e.provider) {
      return page(
        `Model group ${gName} already routes to ${plain(group.provider, 100)}, not to ${provider}, so re-routing it would change nothing.`,
        'latency.spike:not-primary',
        'info',
      );
    }
    const to = alternatives?.find((a) => a !== group.provider);
    if (!to) return page(`Model group ${gName} has no healthy alternative to ${provider}.`, 'latency.spike:no-alternative');
    if (ratio < 1.5) {
      return page(`At ${ratio.toFixed(1)}× its median the spike is small; re-routing ${gName} for it would churn traffic.`, 'latency.spike:small', 'info');
    }
    const refused = recentlyRejected(ctx, 'reroute_model_group', `model_group:${groupName}`);
    if (refused) return page(`A re-route of ${gName} was rejected ${refused}, so the playbook does not propose it again.`, 'latency.spike:rejected');
    facts.reroute_to = to;
    sentences.push(
      `Model group ${gName} routes to ${provider} now and ${plain(to, 100)} is healthy, so re-routing the group to ${plain(to, 100)} restores normal latency without shedding any request.`,
      `The alternatives are a circuit-break (blunter: it also hits other groups on ${provider}) or paging on-call (slower, users wait meanwhile); the re-route is reverted by routing back to ${provider}.`,
      `If nothing is done, requests on ${gName} stay about ${ratio.toFixed(1)}× slower than usual.`,
    );
    return {
      action: 'reroute_model_group',
      params: {
        model_group: groupName,
        provider: to,
        previous_provider: group.provider,
        reason: clip(`latency on ${what} at ${ratio.toFixed(1)}× its median; ${plain(to, 100)} is healthy in ${gName}`, REASON_MAX),
      },
      sentences,
      rule: 'latency.spike:reroute',
      facts,
    };
  }

  private async budgetExceeded(ctx: IncidentContext, gw: GatewayReads): Promise<Plan> {
    const parsed = BudgetExceededData.safeParse(ctx.incident.latest);
    if (!parsed.success) return unreadable(ctx, 'the latest event data could not be read');
    const e = parsed.data;
    const who = `${e.scope} ${plain(e.scope_id, 100)}`;
    const budget = await this.read('budget', () => gw.getBudget(e.scope, e.scope_id), BudgetRead);
    const over = e.limit_usd > 0 ? e.spend_usd / e.limit_usd : Number.POSITIVE_INFINITY;
    const sentences = [
      `Observed: ${who} spent $${e.spend_usd.toFixed(2)} against its ${e.limit_kind} limit of $${e.limit_usd.toFixed(2)} for ${plain(e.period, 40)} (${Number.isFinite(over) ? pct(over) : 'no limit'} of it).`,
    ];
    if (budget) sentences.push(`The gateway reports a hard cap of $${budget.hard_limit_usd.toFixed(2)}.`);
    const facts: Record<string, unknown> = { scope: e.scope, scope_id: e.scope_id, limit_kind: e.limit_kind, over, hard_limit_usd: budget?.hard_limit_usd ?? null };
    let severity: Severity;
    if (e.limit_kind === 'hard') {
      severity = 'error';
      sentences.push(
        `A hard limit is reached, so the gateway is refusing ${who}'s requests; raising the cap would spend money, which the agent never decides on its own.`,
        `Paging on-call (error) lets a human choose between bumping the cap (bump_budget_cap, at most +50 %, high risk) and letting the limit hold.`,
        `If nothing is done, ${who} stays blocked until the period ends.`,
      );
    } else {
      severity = over >= 1.25 ? 'warning' : 'info';
      sentences.push(
        `Only a soft limit is crossed: nothing is blocked yet, so a ${severity} page is enough for a human to check the spending.`,
        `The alternative, bumping the cap, spends money without need and is never done without a human.`,
        `If nothing is done, spending continues and may reach the hard cap.`,
      );
    }
    return {
      action: 'page_oncall',
      params: {
        severity,
        summary: clip(`[sre-agent] ${who} ${e.limit_kind} budget exceeded: $${e.spend_usd.toFixed(2)} of $${e.limit_usd.toFixed(2)} (${plain(e.period, 40)})`, SUMMARY_MAX),
        reason: clip(`${e.limit_kind} budget limit of ${who} exceeded; money decisions are left to a human`, REASON_MAX),
      },
      sentences,
      rule: `budget.exceeded:${e.limit_kind}`,
      facts,
    };
  }

  private slaViolation(ctx: IncidentContext): Plan {
    const parsed = SlaViolationData.safeParse(ctx.incident.latest);
    if (!parsed.success) return unreadable(ctx, 'the latest event data could not be read');
    const e = parsed.data;
    const sla = plain(e.sla_id, 100);
    const { severity, ratio } = slaSeverity(e.metric, e.target, e.observed);
    const team = e.team ? ` for team ${plain(e.team, 100)}` : '';
    const how = Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : 'far beyond';
    const sentences = [
      `Observed: SLA ${sla}${team} has ${e.metric} at ${e.observed} against a target of ${e.target} over ${e.window_seconds} s (${how} the allowed ${e.metric === 'success_rate' ? 'failure rate' : 'value'}).`,
      `Paging on-call with severity ${severity}, scaled to how far the SLA is missed, puts a human on the cause.`,
      `Disabling the SLA contract would only hide the breach from the customer's reporting and is not something the playbook proposes.`,
      `If nothing is done, the SLA stays breached and credits or penalties may accrue.`,
    ];
    return {
      action: 'page_oncall',
      params: {
        severity,
        summary: clip(`[sre-agent] SLA ${sla}${team} violated: ${e.metric} ${e.observed} vs target ${e.target}`, SUMMARY_MAX),
        reason: clip(`SLA ${sla} missed (${e.metric} ${e.observed} vs ${e.target}); severity ${severity} from the size of the miss`, REASON_MAX),
      },
      sentences,
      rule: `sla.violation:${severity}`,
      facts: { sla_id: e.sla_id, team: e.team ?? null, metric: e.metric, ratio: Number.isFinite(ratio) ? ratio : null },
    };
  }

  // ---- operator requests ---------------------------------------------------------------------

  private async planFor(intent: Intent, ctx: IncidentContext, gw: GatewayReads): Promise<Plan | { refusal: string }> {
    const latest = ctx.incident.latest;
    const providerName = typeof latest.provider === 'string' && (ctx.incident.type === 'provider.unhealthy' || ctx.incident.type === 'latency.spike') ? latest.provider : undefined;
    const groupHint = typeof latest.model_group === 'string' ? latest.model_group : undefined;
    switch (intent.kind) {
      case 'page': {
        const base = await this.plan(ctx, gw);
        const severity = intent.severity ?? (base.action === 'page_oncall' ? (base.params.severity as Severity) : 'error');
        return {
          action: 'page_oncall',
          params: {
            severity,
            summary: clip(`[sre-agent] ${plain(ctx.incident.type, 40)} on ${plain(ctx.incident.subject, 200)}: on-call requested from the incident thread`, SUMMARY_MAX),
            reason: clip(`an operator asked for on-call in the incident thread (${plain(ctx.incident.subject, 200)})`, REASON_MAX),
          },
          sentences: [`Paging on-call (${severity}) as asked; paging is one-shot and changes nothing on the gateway.`, `If nothing is done, the incident waits for the pending proposal or its expiry.`],
          rule: 'page',
          facts: {},
        };
      }
      case 'circuit': {
        if (!providerName) return { refusal: 'I cannot circuit-break anything here: this incident names no provider.' };
        const { groups } = await this.surroundings(gw, providerName, groupHint);
        const stranded = groups.find((g) => g.alternatives?.length === 0);
        const rate = typeof latest.error_rate === 'number' ? latest.error_rate : undefined;
        const duration = intent.seconds ?? (rate !== undefined ? breakDuration(rate) : 120);
        const provider = plain(providerName, 100);
        const warning = stranded ? `model group ${plain(stranded.name, 100)} has no other healthy provider, so this break is an outage for its traffic.` : undefined;
        return {
          action: 'circuit_break_provider',
          params: { provider: providerName, duration_seconds: duration, reason: clip(`operator asked in the incident thread to circuit-break ${provider} for ${duration} s`, REASON_MAX) },
          sentences: [
            `Circuit-breaking ${provider} for ${duration} s as asked (at most ${MAX_CIRCUIT_BREAK_SECONDS} s); the breaker restores itself.`,
            ...(warning ? [`Warning: ${warning}`] : []),
          ],
          rule: 'circuit',
          facts: { stranded_group: stranded?.name ?? null, ...(warning ? { warning } : {}) },
        };
      }
      case 'reroute': {
        if (!providerName) return { refusal: 'I cannot re-route anything here: this incident names no provider or model group.' };
        if (!groupHint) return { refusal: 'I cannot re-route: this incident names no model group.' };
        const { named } = await this.surroundings(gw, providerName, groupHint);
        const group = named?.group;
        const alternatives = named?.alternatives;
        const groupName = groupHint;
        if (!group) return { refusal: `I cannot re-route: model group ${plain(groupName, 100)} could not be read.` };
        const to = alternatives?.find((a) => a !== group.provider);
        if (!to) return { refusal: `I cannot re-route model group ${plain(groupName, 100)}: it has no other healthy provider.` };
        return {
          action: 'reroute_model_group',
          params: {
            model_group: groupName,
            provider: to,
            previous_provider: group.provider,
            reason: clip(`operator asked in the incident thread to re-route ${plain(groupName, 100)} away from ${plain(group.provider, 100)}`, REASON_MAX),
          },
          sentences: [
            `Re-routing model group ${plain(groupName, 100)} from ${plain(group.provider, 100)} to ${plain(to, 100)}, the first healthy alternative the gateway lists; it is reverted by routing back.`,
          ],
          rule: 'reroute',
          facts: { healthy_alternatives: alternatives?.length ?? 0 },
        };
      }
      case 'rate': {
        const team = ctx.incident.type === 'sla.violation' && typeof latest.team === 'string' ? latest.team : undefined;
        if (!team) return { refusal: 'I cannot raise a rate limit here: this incident names no team.' };
        const info = await this.read('team', () => gw.getTeam(team), TeamRead);
        if (!info) return { refusal: `I cannot raise team ${plain(team, 100)}'s rate limit: its current limit could not be read.` };
        const raise = intent.percent ?? 20;
        const rpm = Math.floor(info.requests_per_minute * (1 + raise / 100));
        return {
          action: 'raise_rate_limit',
          params: {
            team,
            requests_per_minute: rpm,
            previous: info.requests_per_minute,
            reason: clip(`operator asked in the incident thread to raise team ${plain(team, 100)}'s rate limit by ${raise} %`, REASON_MAX),
          },
          sentences: [`Raising team ${plain(team, 100)}'s rate limit by ${raise} % from ${info.requests_per_minute} rpm as asked (at most +50 %); it is reverted by restoring the previous limit.`],
          rule: 'rate',
          facts: {},
        };
      }
      case 'budget': {
        if (ctx.incident.type !== 'budget.exceeded') return { refusal: 'I cannot bump a budget cap here: this incident is not about a budget.' };
        const e = BudgetExceededData.safeParse(latest);
        if (!e.success) return { refusal: 'I cannot bump the cap: the incident data could not be read.' };
        const budget = await this.read('budget', () => gw.getBudget(e.data.scope, e.data.scope_id), BudgetRead);
        if (!budget) return { refusal: 'I cannot bump the cap: the current cap could not be read.' };
        const raise = intent.percent ?? 20;
        const cap = Math.round(budget.hard_limit_usd * (1 + raise / 100) * 100) / 100;
        const who = `${e.data.scope} ${plain(e.data.scope_id, 100)}`;
        return {
          action: 'bump_budget_cap',
          params: {
            scope: e.data.scope,
            scope_id: e.data.scope_id,
            hard_limit_usd: cap,
            previous: budget.hard_limit_usd,
            reason: clip(`operator asked in the incident thread to bump ${who}'s hard cap by ${raise} %`, REASON_MAX),
          },
          sentences: [`Bumping ${who}'s hard cap by ${raise} % from $${budget.hard_limit_usd.toFixed(2)} as asked (at most +50 %); this spends money and carries a high baseline risk.`],
          rule: 'budget',
          facts: {},
        };
      }
      default:
        return { refusal: 'I did not understand which action to take.' };
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Checks a plan against the action library; a plan that fails becomes a page with the reason. */
  private finish(ctx: IncidentContext, plan: Plan): ProposalDraft {
    const n = normalizeAction(plan.action, plan.params);
    if (!n.ok) {
      this.logger?.warn({ incident_id: ctx.incident.id, action: plan.action, problems: n.problems }, 'playbook plan failed validation; paging instead');
      if (plan.action === 'page_oncall') throw new Error(`playbook built an invalid page: ${n.problems.join('; ')}`);
      return this.finish(ctx, {
        ...unreadable(ctx, `a ${plan.action} could not be built from the incident (${n.problems.join('; ').slice(0, 200)})`),
        rule: `${plan.rule}:invalid`,
      });
    }
    const adjustments: Adjustment[] = n.adjustments;
    return {
      action: n.request.action,
      params: { ...n.request.params },
      reasoning: plan.sentences.join(' '),
      reasoner: 'playbook',
      ...(adjustments.length > 0 ? { adjustments } : {}),
      trace: { reasoner: 'playbook', rule: plan.rule, facts: plan.facts },
    };
  }

  /**
   * The provider and its model groups with their healthy alternatives. The group the event names is
   * the only one a re-route may target; without one, the provider's groups (as the gateway lists
   * them) are still read to know whether shedding its traffic would leave a group with nothing.
   */
  private async surroundings(gw: GatewayReads, provider: string, named: string | undefined): Promise<Surroundings> {
    const info = await this.read('provider', () => gw.getProvider(provider), ProviderRead);
    const names = named ? [named] : [...new Set(info?.model_groups ?? [])].slice(0, 5);
    const groups: GroupView[] = [];
    for (const name of names) {
      const group = await this.read('model group', () => gw.getModelGroup(name), GroupRead);
      const alternatives = group?.providers.filter((p) => p.healthy && p.name !== provider).map((p) => p.name);
      groups.push({ name, ...(group ? { group } : {}), ...(alternatives ? { alternatives } : {}) });
    }
    const named_ = named ? groups[0] : undefined;
    return { ...(info ? { info } : {}), ...(named_ ? { named: named_ } : {}), groups };
  }

  /** A gateway read that never throws: failures, timeouts and malformed answers become undefined. */
  private async read<T>(what: string, fn: () => Promise<unknown>, schema: z.ZodType<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), this.readTimeoutMs);
      });
      const value = await Promise.race([fn(), timeout]);
      if (value === undefined || value === null) return undefined;
      const r = schema.safeParse(value);
      if (!r.success) {
        this.logger?.warn({ what }, 'gateway read returned an unexpected shape; deciding without it');
        return undefined;
      }
      return r.data;
    } catch (err) {
      this.logger?.warn({ what, err: err instanceof Error ? err.message : String(err) }, 'gateway read failed; deciding without it');
      return undefined;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private describeIncident(ctx: IncidentContext): string {
    const i = ctx.incident;
    const parts = [
      `Incident ${plain(i.type, 40)} on ${plain(i.subject, 200)} (${plain(i.status, 20)}): first seen ${iso(i.firstSeen)}, last seen ${iso(i.lastSeen)}, ${i.eventCount} event${i.eventCount === 1 ? '' : 's'}.`,
      `Latest data: ${latestSummary(i.latest)}.`,
    ];
    const p = ctx.pending;
    if (p) {
      const n = normalizeAction(p.action, p.params);
      const what = n.ok ? specFor(n.request.action).describe(n.request.params) : p.action;
      parts.push(`Pending proposal: ${p.action} (${plain(what, 300)}), risk score ${p.riskScore}.`);
    } else {
      parts.push('No proposal is pending.');
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

// ---- free functions ---------------------------------------------------------------------------

/** "at <time> (\"reason\")" when the same action on the same target was rejected in the last 24 h. */
function recentlyRejected(ctx: IncidentContext, action: ActionId, target: string): string | undefined {
  const since = ctx.now.getTime() - 24 * 3_600_000;
  const h = ctx.history.find((x) => x.action === action && x.target === target && x.status === 'rejected' && x.createdAt.getTime() >= since);
  if (!h) return undefined;
  const by = h.decidedBy ? ` by ${quoted(h.decidedBy, 60)}` : '';
  const why = h.decisionReason ? ` saying ${quoted(h.decisionReason, 160)}` : '';
  return `at ${iso(h.createdAt)}${by}${why}`;
}

function unreadable(ctx: IncidentContext, why: string): Plan {
  const subject = plain(ctx.incident.subject, 200);
  return {
    action: 'page_oncall',
    params: {
      severity: 'warning',
      summary: clip(`[sre-agent] ${plain(ctx.incident.type, 40)} on ${subject} needs a human: ${why}`, SUMMARY_MAX),
      reason: clip(`the playbook could not choose an automatic remediation: ${why}`, REASON_MAX),
    },
    sentences: [
      `Observed: ${ctx.incident.eventCount} ${plain(ctx.incident.type, 40)} event(s) on ${subject} since ${iso(ctx.incident.firstSeen)}, but ${why}.`,
      'Without trustworthy facts no gateway change is safe, so the playbook pages on-call (warning) instead of acting.',
      'If nothing is done, the incident stays open with nobody looking at it.',
    ],
    rule: 'fallback:page',
    facts: {},
  };
}

/** Known fields of the latest event, as `key=value`; free text (sample errors) is left out. */
function latestSummary(latest: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(latest)) {
    if (parts.length >= 10) break;
    if (typeof v === 'number' && Number.isFinite(v)) parts.push(`${plain(k, 40)}=${v}`);
    else if (typeof v === 'string') parts.push(`${plain(k, 40)}=${plain(v, 80)}`);
    else if (typeof v === 'boolean') parts.push(`${plain(k, 40)}=${v}`);
  }
  return parts.length > 0 ? parts.join(', ') : 'none readable';
}

function sameParams(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('reason');
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

type IntentKind = 'page' | 'circuit' | 'reroute' | 'rate' | 'budget' | 'facts' | 'unknown';
interface Intent {
  kind: IntentKind;
  seconds?: number;
  percent?: number;
  severity?: Severity;
  numbers: number[];
}

const INTENT_PATTERNS: [Exclude<IntentKind, 'facts' | 'unknown'>, RegExp][] = [
  ['rate', /\brate[- ]?limit|\brpm\b|\bthrottl/],
  ['budget', /\b(?:raise|bump|increase|lift|extend)\b[^.;!?]{0,30}\b(?:budget|cap|spend(?:ing)? limit)\b|\b(?:budget|cap)\b[^.;!?]{0,20}\b(?:raise|bump|increase|up)\b/],
  ['reroute', /\bre-?rout|\bfail[- ]?over\b|\bswitch (?:the )?(?:provider|traffic|routing)/],
  ['circuit', /\bcircuit[- ]?break|\bbreak\b|\btrip\b|\bshed\b/],
  ['page', /\bpage\b|\bpaging\b|\bon-?call\b|\bescalate|\bpagerduty\b|\bwake\b/],
];

/** Plain-word requests; only numbers are taken from the text, never names or targets. */
export function parseIntent(text: string): Intent {
  const lower = text.slice(0, 2_000).toLowerCase();
  // "re-route instead of breaking": the rejected alternative must not win the match.
  const t = lower.replace(/\b(?:instead of|rather than)\b[^,.;!?]*/g, ' ');
  const numbers = [...t.matchAll(/\d+(?:\.\d+)?/g)].map((m) => Number(m[0])).slice(0, 5);
  let best: { kind: Intent['kind']; at: number } | undefined;
  for (const [kind, re] of INTENT_PATTERNS) {
    const m = re.exec(t);
    if (!m) continue;
    const before = t.slice(Math.max(0, m.index - 20), m.index);
    if (/\b(?:don'?t|do not|no|never|not|stop)\s+(?:\w+\s+)?$/.test(before)) continue;
    if (!best || m.index < best.at) best = { kind, at: m.index };
  }
  const intent: Intent = { kind: best?.kind ?? (/\?|\b(?:what|why|status|summar|explain|how|facts|details)/.test(t) ? 'facts' : 'unknown'), numbers };
  const dur = /(\d{1,6})\s*(s|secs?|seconds?|m|mins?|minutes?)\b/.exec(t);
  if (dur) intent.seconds = Number(dur[1]) * (dur[2]!.startsWith('m') ? 60 : 1);
  const per = /(\d{1,4}(?:\.\d+)?)\s*(?:%|percent\b|pct\b)/.exec(t);
  if (per) intent.percent = Number(per[1]);
  if (/\bcritical\b|\bsev ?1\b|\bp1\b/.test(t)) intent.severity = 'critical';
  else if (/\berror\b|\bsev ?2\b|\bp2\b|\burgent\b/.test(t)) intent.severity = 'error';
  else if (/\bwarning\b|\bwarn\b|\bsev ?3\b|\bp3\b/.test(t)) intent.severity = 'warning';
  else if (/\binfo\b|\bfyi\b|\blow\b/.test(t)) intent.severity = 'info';
  return intent;
}
