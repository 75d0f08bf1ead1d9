import { MAX_CIRCUIT_BREAK_SECONDS } from '../../domain/actions.js';
import { ProviderUnhealthyData } from '../../domain/events.js';
import { CLASS_ANSWER, classifyEvidence, evidenceFacts, shortLabel, type Evidence } from '../evidence.js';
import type { IncidentContext } from '../reasoner.js';
import { evidenceSentence } from './evidence-text.js';
import { notTheProvider } from './not-the-provider.js';
import { pagePlan, recentlyRejected, unreadable, type Plan, type Severity } from './plan.js';
import { missingReads, type Reads } from './reads.js';
import { rerouteOption, shedPlan } from './shed.js';
import { clip, iso, pct, plain, plural, REASON_MAX } from './text.js';

/** Circuit-break length from the evidence: the error rate sets it, a sustained heavy incident lengthens it, short-lived causes (429s, overload, cut streams) keep it short. */
export function breakDuration(errorRate: number, ev?: Pick<Evidence, 'cls' | 'strength'>): number {
  const steps = [60, 120, 300] as const;
  let i = errorRate >= 0.5 ? 2 : errorRate >= 0.1 ? 1 : 0;
  if (ev?.strength === 'strong' && errorRate >= 0.25) i = Math.min(2, i + 1);
  // A rate-limit window resets, and overload passes, within a minute or two; a longer break only sheds traffic.
  if (ev && CLASS_ANSWER[ev.cls].shortBreak) i = Math.min(i, 1);
  return Math.min(MAX_CIRCUIT_BREAK_SECONDS, steps[i] ?? 60);
}

export async function providerUnhealthy(ctx: IncidentContext, reads: Reads): Promise<Plan> {
  const parsed = ProviderUnhealthyData.safeParse(ctx.incident.latest);
  if (!parsed.success) return unreadable(ctx, 'the latest event data could not be read');
  const e = parsed.data;
  const provider = plain(e.provider, 100);
  const openSeconds = (ctx.now.getTime() - ctx.incident.firstSeen.getTime()) / 1000;
  const ev = classifyEvidence({ sampleErrors: e.sample_errors, errorRate: e.error_rate, requests: e.requests, eventCount: ctx.incident.eventCount, openSeconds });
  const s = await reads.surroundings(e.provider, e.model_group);
  const readable = s.groups.filter((g) => g.alternatives !== undefined);
  const sentences = [
    `Observed: provider ${provider} failed ${pct(e.error_rate)} of ${e.requests} requests over ${e.window_seconds} s (${plural(ctx.incident.eventCount, 'event')} since ${iso(ctx.incident.firstSeen)}).`,
    evidenceSentence(ev, e.sample_errors),
    ...(ev.cls === 'unknown' ? [] : [`For ${shortLabel(ev.cls)} the least drastic answer is to ${CLASS_ANSWER[ev.cls].answer}.`]),
  ];
  const missing = missingReads(e.model_group, s);
  if (missing.length > 0) sentences.push(`The gateway's ${missing.join(' and ')} read failed, so the playbook decides on the event and the reads it has; the missing read counts as a risk factor (read_missing).`);
  const facts: Record<string, unknown> = {
    provider: e.provider,
    error_rate: e.error_rate,
    evidence: evidenceFacts(ev),
    model_groups: s.groups.map((g) => g.name),
    healthy_alternatives: readable.length > 0 ? Math.min(...readable.map((g) => g.alternatives!.length)) : null,
    requests_per_minute: s.info?.requests_per_minute ?? s.groups[0]?.group?.requests_per_minute ?? null,
    teams: s.info?.teams ?? s.groups[0]?.group?.teams ?? null,
    reads_missing: missing,
  };
  const severity: Severity = e.error_rate >= 0.5 ? 'critical' : 'error';
  const page = (sev: Severity, rule: string, why: string, reason: string, ifNothing: string) => {
    sentences.push(why, ifNothing);
    return pagePlan({ severity: sev, summary: `[sre-agent] provider ${provider} failing ${pct(e.error_rate)} of requests (${shortLabel(ev.cls)}); ${reason}`, reason: `${provider} at ${pct(e.error_rate)} errors: ${reason}`, sentences, rule: `provider.unhealthy:${rule}`, facts });
  };
  const failing = `If nothing is done, about ${pct(e.error_rate)} of requests to ${provider} keep failing.`;

  if (!ev.providerSide) return notTheProvider(e, ev, sentences, facts);
  if (e.error_rate < 0.05) {
    return page('warning', 'noise', `At ${pct(e.error_rate)} the failures are within noise for a busy provider: shedding or re-routing its traffic would disturb the ${pct(1 - e.error_rate)} that succeed, so a warning page lets a human watch the trend.`, 'below the 5 % error rate that justifies moving traffic', failing);
  }
  if (ev.strength === 'thin') {
    return page('warning', 'thin', `${plural(e.requests, 'request')} are too few to tell a provider failure from a handful of bad calls, so moving traffic is not justified yet; a warning page keeps a human informed and later events will show more.`, 'too few requests to act on', failing);
  }
  const reroute = rerouteOption(ctx, e, s, provider);
  if (CLASS_ANSWER[ev.cls].moves === 'reroute') {
    const why = `A circuit-break of ${provider} was not chosen: it restores onto the same ${ev.cls === 'quota_exhausted' ? 'exhausted quota or billing account' : 'missing model or deployment'} and would shed the groups that still work.`;
    if (reroute.ok) return shedPlan.reroute(reroute, e, ev, sentences, facts, `${why} Re-routing model group ${reroute.label} to ${reroute.toLabel} moves only the failing traffic, and lasts until a human fixes the cause.`);
    return page('error', ev.cls, `${why} ${reroute.why}; paging on-call (error) hands the cause to a human.`, `${shortLabel(ev.cls)}; a circuit-break does not fix it and no re-route is possible`, failing);
  }
  const stranded = readable.find((g) => g.alternatives!.length === 0);
  if (stranded) {
    const g = plain(stranded.name, 100);
    if (reroute.ok) {
      return shedPlan.reroute(reroute, e, ev, sentences, facts, `A circuit-break of ${provider} was not chosen: model group ${g} has no other healthy provider and would lose all its traffic, so only the named group ${reroute.label} moves, to ${reroute.toLabel}.`);
    }
    return page(severity, 'no-alternative', `Model group ${g} has no other healthy provider, so a circuit-break would turn partial failures into a full outage for its traffic, and there is nowhere to re-route it; paging on-call (${severity}) puts a human on it instead.`, `no healthy alternative in model group ${g}; a circuit-break would be an outage`, failing);
  }
  const openUntil = s.info?.circuit_open_until ? Date.parse(s.info.circuit_open_until) : Number.NaN;
  if (openUntil > ctx.now.getTime()) {
    const until = iso(new Date(openUntil));
    return page('warning', 'already-open', `The gateway reports ${provider}'s circuit already open until ${until}, so another break would change nothing; these events may predate it, and a warning page keeps a human informed.`, `its circuit is already open until ${until}; breaking again would change nothing`, `If nothing is done, the breaker closes on its own at ${until}; if the provider still fails then, the next events will show it.`);
  }
  const rejected = recentlyRejected(ctx, 'circuit_break_provider', `provider:${e.provider}`);
  if (rejected) {
    return page(severity, 'rejected', `A circuit-break of ${provider} was rejected ${rejected}, so the playbook does not propose it again, nor a re-route around what that human decided; paging on-call (${severity}) asks colleagues to look at the errors instead.`, 'a circuit-break of it was rejected in the last 24 h', failing);
  }
  const since = ctx.now.getTime() - 6 * 3_600_000;
  const breaks = ctx.history.filter((h) => h.action === 'circuit_break_provider' && h.target === `provider:${e.provider}` && ['approved', 'executing', 'succeeded'].includes(h.status) && h.createdAt.getTime() >= since).length;
  facts.recent_breaks = breaks;
  if (breaks >= 2) {
    const why = `The provider was already circuit-broken ${breaks} times in the last 6 h and is failing again, so another break would only postpone the problem.`;
    if (reroute.ok) return shedPlan.reroute(reroute, e, ev, sentences, facts, `${why} A lasting change is now justified: re-routing model group ${reroute.label} to ${reroute.toLabel}, reverted by routing back.`);
    return page('error', 'repeated', `${why} ${reroute.why}; paging on-call (error) hands it to a human who can talk to the provider or change routing for good.`, `keeps failing after ${breaks} circuit-breaks in 6 h; breaking again does not hold`, failing);
  }
  if (reroute.ok && reroute.othersFine) {
    return shedPlan.reroute(reroute, e, ev, sentences, facts, `${reroute.othersFine}, so the failure is confined to model group ${reroute.label}: re-routing it to ${reroute.toLabel} is narrower than a circuit-break, which would also shed the groups that still succeed on ${provider}.`);
  }
  const duration = breakDuration(e.error_rate, ev);
  const notReroute = reroute.ok ? reroute.whyNot : reroute.why;
  return shedPlan.circuitBreak(e, ev, s, duration, sentences, facts, `${notReroute}.`, clip(`${provider} failing ${pct(e.error_rate)} of ${e.requests} requests over ${e.window_seconds} s (${shortLabel(ev.cls)}); shed its traffic for ${duration} s`, REASON_MAX));
}

