import type { ProviderUnhealthyData } from '../../domain/events.js';
import { shortLabel, type Evidence } from '../evidence.js';
import type { IncidentContext } from '../reasoner.js';
import { recentlyRejected, type Plan } from './plan.js';
import type { Surroundings } from './reads.js';
import { reroutePlan } from './reroute.js';
import { pct, plain } from './text.js';

/**
 * Moving a failing provider's traffic: re-route one model group when the failure is confined to it
 * (the gateway reports the provider's other groups succeeding), else a self-restoring circuit-break.
 * Each answer says why the other was not chosen.
 */

export type RerouteOption =
  | { ok: true; group: string; from: string; to: string; label: string; toLabel: string; othersFine?: string; whyNot: string }
  | { ok: false; why: string };

export function rerouteOption(ctx: IncidentContext, e: ProviderUnhealthyData, s: Surroundings, provider: string): RerouteOption {
  if (!e.model_group) return { ok: false, why: 'Re-routing was not chosen: the event names no model group, so the failure is the provider\u2019s as a whole' };
  const label = plain(e.model_group, 100);
  const g = s.named?.group;
  if (!g) return { ok: false, why: `Re-routing was not chosen: model group ${label} could not be read, so no healthy target is known` };
  if (g.provider !== e.provider) return { ok: false, why: `Re-routing was not chosen: model group ${label} already routes to ${plain(g.provider, 100)}, not to ${provider}` };
  const to = s.named?.alternatives?.find((a) => a !== g.provider);
  if (!to) return { ok: false, why: `Re-routing was not chosen: model group ${label} has no other healthy provider` };
  const refused = recentlyRejected(ctx, 'reroute_model_group', `model_group:${e.model_group}`);
  if (refused) return { ok: false, why: `Re-routing was not chosen: a re-route of ${label} was rejected ${refused}` };
  const base = { ok: true as const, group: e.model_group, from: g.provider, to, label, toLabel: plain(to, 100) };
  const info = s.info;
  const others = (info?.model_groups ?? []).filter((x) => x !== e.model_group);
  const list = others.slice(0, 3).map((x) => plain(x, 60)).join(', ');
  if (info && others.length > 0 && (info.healthy || (info.error_rate !== undefined && info.error_rate < e.error_rate / 2))) {
    const how = info.healthy ? 'healthy overall' : `at ${pct(info.error_rate ?? 0)} errors overall`;
    return { ...base, othersFine: `The gateway reports ${provider} ${how} while it serves ${others.length} other model group(s) (${list})`, whyNot: '' };
  }
  const whyNot = !info
    ? `Re-routing only model group ${label} to ${base.toLabel} was not chosen: the provider could not be read, so nothing shows that ${provider}'s other groups still succeed, and a self-restoring break covers them all`
    : others.length === 0
      ? `Re-routing was not chosen: ${label} is the only model group on ${provider}, so a self-restoring break sheds the same traffic and needs no routing change to undo`
      : `Re-routing only model group ${label} was not chosen: the gateway reports ${provider} failing as a whole (${info.error_rate !== undefined ? `${pct(info.error_rate)} errors` : 'unhealthy'}), so its other groups (${list}) would keep failing`;
  return { ...base, whyNot };
}

const CLASS_NOTE: Partial<Record<Evidence['cls'], string>> = {
  provider_rate_limit: '429s mean the provider is throttling the gateway\u2019s account; shedding load for a short while lets its window reset.',
  timeout: 'Timeouts hold every request for the whole timeout, so moving the traffic also frees the clients waiting on it.',
};

export const shedPlan = {
  reroute(r: Extract<RerouteOption, { ok: true }>, e: ProviderUnhealthyData, ev: Evidence, sentences: string[], facts: Record<string, unknown>, why: string): Plan {
    const provider = plain(e.provider, 100);
    sentences.push(
      why,
      ...(CLASS_NOTE[ev.cls] ? [CLASS_NOTE[ev.cls]!] : []),
      `Paging on-call was not chosen: it leaves requests failing while a human is found; the re-route is reverted by routing ${r.label} back to ${plain(r.from, 100)}.`,
      `If nothing is done, about ${pct(e.error_rate)} of requests on ${r.label} keep failing.`,
    );
    return reroutePlan({
      group: r.group,
      from: r.from,
      to: r.to,
      reason: `${provider} failing ${pct(e.error_rate)} on ${r.label} (${shortLabel(ev.cls)}); ${r.toLabel} is healthy in the group`,
      sentences,
      rule: 'provider.unhealthy:reroute',
      facts,
    });
  },

  circuitBreak(e: ProviderUnhealthyData, ev: Evidence, s: Surroundings, duration: number, sentences: string[], facts: Record<string, unknown>, whyNotReroute: string, reason: string): Plan {
    const provider = plain(e.provider, 100);
    const readable = s.groups.filter((g) => g.alternatives !== undefined);
    const alternatives = [...new Set(readable.flatMap((g) => g.alternatives!))];
    const where =
      readable.length > 0
        ? `to ${alternatives.slice(0, 3).map((a) => plain(a, 60)).join(', ')}`
        : s.groups.length > 0 || !s.info
          ? 'to whatever alternatives the gateway has (its model group could not be read)'
          : 'to whatever alternatives the gateway has (no model group is known for it)';
    sentences.push(
      `Circuit-breaking ${provider} for ${duration} s sheds its traffic ${where}; the length follows the evidence (60 s under 10 % errors, 120 s under 50 %, 300 s above, one step longer for a sustained incident on heavy traffic, at most 120 s for short-lived causes: rate limiting, overload, cut streams) and the breaker restores itself.`,
      ...(CLASS_NOTE[ev.cls] ? [CLASS_NOTE[ev.cls]!] : []),
      whyNotReroute,
      'Paging on-call was not chosen: it is slower and leaves requests failing meanwhile.',
      `If nothing is done, about ${pct(e.error_rate)} of requests to ${provider} keep failing.`,
    );
    return {
      action: 'circuit_break_provider',
      params: { provider: e.provider, duration_seconds: duration, reason },
      sentences,
      rule: 'provider.unhealthy:circuit-break',
      facts,
    };
  },
};
