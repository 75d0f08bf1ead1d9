import { MAX_CIRCUIT_BREAK_SECONDS } from '../../domain/actions.js';
import { BudgetExceededData, SlaViolationData } from '../../domain/events.js';
import { CLASS_ANSWER, classifyEvidence, shortLabel } from '../evidence.js';
import type { IncidentContext } from '../reasoner.js';
import type { Plan, Severity } from './plan.js';
import { breakDuration } from './provider-unhealthy.js';
import type { Reads } from './reads.js';
import { reroutePlan } from './reroute.js';
import { clip, plain, REASON_MAX, SUMMARY_MAX } from './text.js';

/** Operators' plain-word requests in the incident thread, turned into plans with targets from the incident only. */

type IntentKind = 'page' | 'circuit' | 'reroute' | 'rate' | 'budget' | 'facts' | 'unknown';
export interface Intent {
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

/** Without a number from the operator, a raise follows the SLA's failing share: enough to admit it twice over, 10–50 %. */
export function defaultRaise(latest: Record<string, unknown>): { percent: number; why: string } {
  const p = SlaViolationData.safeParse(latest);
  if (p.success && p.data.metric === 'success_rate' && p.data.observed > 0) {
    const observed = p.data.target > 1 || p.data.observed > 1 ? p.data.observed / 100 : p.data.observed;
    const percent = Math.min(50, Math.max(10, Math.ceil((1 / observed - 1) * 200)));
    return { percent, why: `scaled to the ${Math.round((1 - observed) * 1000) / 10} % of requests failing (twice that share, 10–50 %)` };
  }
  return { percent: 20, why: 'the default, as the incident carries no success rate to scale it by' };
}

export async function operatorPlan(intent: Intent, ctx: IncidentContext, reads: Reads, base: () => Promise<Plan>): Promise<Plan | { refusal: string }> {
  const latest = ctx.incident.latest;
  const providerName = typeof latest.provider === 'string' && (ctx.incident.type === 'provider.unhealthy' || ctx.incident.type === 'latency.spike') ? latest.provider : undefined;
  const groupHint = typeof latest.model_group === 'string' ? latest.model_group : undefined;
  switch (intent.kind) {
    case 'page': {
      const b = await base();
      const severity = intent.severity ?? (b.action === 'page_oncall' ? (b.params.severity as Severity) : 'error');
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
      const { groups } = await reads.surroundings(providerName, groupHint);
      const stranded = groups.find((g) => g.alternatives?.length === 0);
      const rate = typeof latest.error_rate === 'number' ? latest.error_rate : undefined;
      const duration = intent.seconds ?? (rate !== undefined ? breakDuration(rate) : 120);
      const provider = plain(providerName, 100);
      const ev = classifyEvidence({ sampleErrors: Array.isArray(latest.sample_errors) ? latest.sample_errors.filter((x): x is string => typeof x === 'string') : undefined });
      const warnings = [
        ...(stranded ? [`model group ${plain(stranded.name, 100)} has no other healthy provider, so this break is an outage for its traffic.`] : []),
        ...(ev.providerSide && CLASS_ANSWER[ev.cls].moves !== 'reroute' ? [] : [`the sample errors read as ${shortLabel(ev.cls)}, which a break does not fix.`]),
      ];
      const warning = warnings.length > 0 ? warnings.join(' ') : undefined;
      return {
        action: 'circuit_break_provider',
        params: { provider: providerName, duration_seconds: duration, reason: clip(`operator asked in the incident thread to circuit-break ${provider} for ${duration} s`, REASON_MAX) },
        sentences: [`Circuit-breaking ${provider} for ${duration} s as asked (at most ${MAX_CIRCUIT_BREAK_SECONDS} s); the breaker restores itself.`, ...(warning ? [`Warning: ${warning}`] : [])],
        rule: 'circuit',
        facts: { stranded_group: stranded?.name ?? null, ...(warning ? { warning } : {}) },
      };
    }
    case 'reroute': {
      if (!providerName) return { refusal: 'I cannot re-route anything here: this incident names no provider or model group.' };
      if (!groupHint) return { refusal: 'I cannot re-route: this incident names no model group.' };
      const { named } = await reads.surroundings(providerName, groupHint, { namedOnly: true });
      const group = named?.group;
      const g = plain(groupHint, 100);
      if (!group) return { refusal: `I cannot re-route: model group ${g} could not be read.` };
      const to = named.alternatives?.find((a) => a !== group.provider);
      if (!to) return { refusal: `I cannot re-route model group ${g}: it has no other healthy provider.` };
      return reroutePlan({
        group: groupHint,
        from: group.provider,
        to,
        reason: `operator asked in the incident thread to re-route ${g} away from ${plain(group.provider, 100)}`,
        sentences: [`Re-routing model group ${g} from ${plain(group.provider, 100)} to ${plain(to, 100)}, the first healthy alternative the gateway lists; it is reverted by routing back.`],
        rule: 'reroute',
        facts: { healthy_alternatives: named.alternatives?.length ?? 0 },
      });
    }
    case 'rate': {
      const team = ctx.incident.type === 'sla.violation' && typeof latest.team === 'string' ? latest.team : undefined;
      if (!team) return { refusal: 'I cannot raise a rate limit here: this incident names no team.' };
      const info = await reads.team(team);
      if (!info) return { refusal: `I cannot raise team ${plain(team, 100)}'s rate limit: its current limit could not be read.` };
      const scaled = defaultRaise(latest);
      const raise = intent.percent ?? scaled.percent;
      const how = intent.percent !== undefined ? 'as asked' : scaled.why;
      const rpm = Math.floor(info.requests_per_minute * (1 + raise / 100));
      return {
        action: 'raise_rate_limit',
        params: { team, requests_per_minute: rpm, previous: info.requests_per_minute, reason: clip(`operator asked in the incident thread to raise team ${plain(team, 100)}'s rate limit by ${raise} %`, REASON_MAX) },
        sentences: [`Raising team ${plain(team, 100)}'s rate limit by ${raise} % from ${info.requests_per_minute} rpm, ${how} (at most +50 %); it is reverted by restoring the previous limit.`],
        rule: 'rate',
        facts: { raise_percent: raise },
      };
    }
    case 'budget': {
      if (ctx.incident.type !== 'budget.exceeded') return { refusal: 'I cannot bump a budget cap here: this incident is not about a budget.' };
      const e = BudgetExceededData.safeParse(latest);
      if (!e.success) return { refusal: 'I cannot bump the cap: the incident data could not be read.' };
      const budget = await reads.budget(e.data.scope, e.data.scope_id);
      if (!budget) return { refusal: 'I cannot bump the cap: the current cap could not be read.' };
      const raise = intent.percent ?? 20;
      const cap = Math.round(budget.hard_limit_usd * (1 + raise / 100) * 100) / 100;
      const who = `${e.data.scope} ${plain(e.data.scope_id, 100)}`;
      return {
        action: 'bump_budget_cap',
        params: { scope: e.data.scope, scope_id: e.data.scope_id, hard_limit_usd: cap, previous: budget.hard_limit_usd, reason: clip(`operator asked in the incident thread to bump ${who}'s hard cap by ${raise} %`, REASON_MAX) },
        sentences: [`Bumping ${who}'s hard cap by ${raise} % from $${budget.hard_limit_usd.toFixed(2)} as asked (at most +50 %); this spends money and carries a high baseline risk.`],
        rule: 'budget',
        facts: {},
      };
    }
    default:
      return { refusal: 'I did not understand which action to take.' };
  }
}
