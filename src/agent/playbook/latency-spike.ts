import { LatencySpikeData } from '../../domain/events.js';
import type { IncidentContext } from '../reasoner.js';
import { pagePlan, recentlyRejected, unreadable, type Plan, type Severity } from './plan.js';
import { DECISIVE_LATENCY_RATIO, decisiveLatency } from './decisive.js';
import type { Reads } from './reads.js';
import { reroutePlan } from './reroute.js';
import { iso, plain, plural } from './text.js';

/** A slow but working provider: re-route its model group to a healthy alternative, or page; never shed it. */
export async function latencySpike(ctx: IncidentContext, reads: Reads): Promise<Plan> {
  const parsed = LatencySpikeData.safeParse(ctx.incident.latest);
  if (!parsed.success) return unreadable(ctx, 'the latest event data could not be read');
  const e = parsed.data;
  const provider = plain(e.provider, 100);
  const ratio = e.latency_ms / Math.max(1, e.rolling_median_ms);
  const { named } = await reads.surroundings(e.provider, e.model_group, { namedOnly: true });
  const groupName = named?.name;
  const group = named?.group;
  const what = e.model ? `${provider} (${plain(e.model, 100)})` : provider;
  const sentences = [
    `Observed: latency on ${what} is ${Math.round(e.latency_ms)} ms against a rolling median of ${Math.round(e.rolling_median_ms)} ms (${ratio.toFixed(1)}×), ${plural(ctx.incident.eventCount, 'event')} since ${iso(ctx.incident.firstSeen)}.`,
  ];
  const facts: Record<string, unknown> = {
    provider: e.provider,
    ratio: Math.round(ratio * 100) / 100,
    model_group: groupName ?? null,
    primary: group?.provider ?? null,
    healthy_alternatives: named?.alternatives?.length ?? null,
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
    return pagePlan({
      severity: sev,
      summary: `[sre-agent] latency on ${what} at ${Math.round(e.latency_ms)} ms (${ratio.toFixed(1)}× its median)`,
      reason: `latency spike on ${what} (${ratio.toFixed(1)}× median); ${why}`,
      sentences,
      rule,
      facts,
    });
  };
  if (!group && groupName && ratio >= DECISIVE_LATENCY_RATIO) return decisiveLatency(ctx, e, reads, ratio, sentences, facts, (why, rule) => page(why, rule, 'error'));
  if (!group || !groupName) {
    return page(
      groupName ? `Model group ${plain(groupName, 100)} could not be read, so no healthy alternative is known.` : 'The event names no model group, so there is no group whose routing could be checked and changed.',
      'latency.spike:no-group',
    );
  }
  const gName = plain(groupName, 100);
  if (group.provider !== e.provider) {
    return page(`Model group ${gName} already routes to ${plain(group.provider, 100)}, not to ${provider}, so re-routing it would change nothing.`, 'latency.spike:not-primary', 'info');
  }
  const to = named.alternatives?.find((a) => a !== group.provider);
  if (!to) return page(`Model group ${gName} has no healthy alternative to ${provider}.`, 'latency.spike:no-alternative');
  if (ratio < 1.5) return page(`At ${ratio.toFixed(1)}× its median the spike is small; re-routing ${gName} for it would churn traffic.`, 'latency.spike:small', 'info');
  const refused = recentlyRejected(ctx, 'reroute_model_group', `model_group:${groupName}`);
  if (refused) return page(`A re-route of ${gName} was rejected ${refused}, so the playbook does not propose it again.`, 'latency.spike:rejected');
  const toName = plain(to, 100);
  sentences.push(
    `Model group ${gName} routes to ${provider} now and ${toName} is healthy, so re-routing the group to ${toName} restores normal latency without shedding any request.`,
    `The alternatives are a circuit-break (blunter: it also hits other groups on ${provider}) or paging on-call (slower, users wait meanwhile); the re-route is reverted by routing back to ${provider}.`,
    `If nothing is done, requests on ${gName} stay about ${ratio.toFixed(1)}× slower than usual.`,
  );
  return reroutePlan({
    group: groupName,
    from: group.provider,
    to,
    reason: `latency on ${what} at ${ratio.toFixed(1)}× its median; ${toName} is healthy in ${gName}`,
    sentences,
    rule: 'latency.spike:reroute',
    facts,
  });
}
