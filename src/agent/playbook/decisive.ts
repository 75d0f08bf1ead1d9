import type { LatencySpikeData } from '../../domain/events.js';
import { DECISIVE_LATENCY_RATIO } from '../evidence.js';
import type { IncidentContext } from '../reasoner.js';
import { recentlyRejected, type Plan } from './plan.js';
import { missingReads, type Reads } from './reads.js';
import { clip, iso, plain, REASON_MAX } from './text.js';

/**
 * A latency spike whose model group could not be read: no re-route target is known. Tens of times
 * the median is an outage for that traffic in all but name (clients time out), so it still gets
 * the action it deserves, a short self-restoring break, unless a read shows the break would strand
 * a group or change nothing. The missing read is named in the reasoning and becomes a risk factor.
 */
export { DECISIVE_LATENCY_RATIO };
const CIRCUIT_BREAK_FOR_DECISIVE_LATENCY = 120;

export async function decisiveLatency(
  ctx: IncidentContext,
  e: LatencySpikeData,
  reads: Reads,
  ratio: number,
  sentences: string[],
  facts: Record<string, unknown>,
  page: (why: string, rule: string) => Plan,
): Promise<Plan> {
  const provider = plain(e.provider, 100);
  const group = plain(e.model_group ?? '', 100);
  const s = await reads.surroundings(e.provider, undefined);
  const missing = missingReads(e.model_group, { ...s, named: {} });
  facts.reads_missing = missing;
  const lead = `Model group ${group} could not be read, so no re-route target is known; but at ${ratio.toFixed(1)}× its median (at least ${DECISIVE_LATENCY_RATIO}×) the spike is decisive on its own: requests that slow time out in most clients, so it is an outage for that traffic.`;
  const stranded = s.groups.find((g) => g.alternatives?.length === 0);
  if (stranded) return page(`${lead} A circuit-break would leave model group ${plain(stranded.name, 100)} with no healthy provider, so it is not proposed either.`, 'latency.spike:decisive-stranded');
  const openUntil = s.info?.circuit_open_until ? Date.parse(s.info.circuit_open_until) : Number.NaN;
  if (openUntil > ctx.now.getTime()) return page(`${lead} The gateway reports ${provider}'s circuit already open until ${iso(new Date(openUntil))}, so a break would change nothing.`, 'latency.spike:decisive-open');
  const refused = recentlyRejected(ctx, 'circuit_break_provider', `provider:${e.provider}`);
  if (refused) return page(`${lead} A circuit-break of ${provider} was rejected ${refused}, so the playbook does not propose it again.`, 'latency.spike:decisive-rejected');
  const duration = CIRCUIT_BREAK_FOR_DECISIVE_LATENCY;
  sentences.push(
    lead,
    `Circuit-breaking ${provider} for ${duration} s sheds its traffic to whatever healthy alternatives the gateway has and restores itself; it is long enough to outlast a passing spike and short enough that restoring costs little.`,
    `The gateway's ${missing.join(' and ')} read failed: the playbook decides without it, and the missing read counts as a risk factor (read_missing) that raises the score, so the policy is more likely to ask a human.`,
    'Paging on-call instead was not chosen: it leaves every request on the group waiting that long while a human is found.',
    `If nothing is done, requests to ${provider} stay about ${ratio.toFixed(1)}× slower than usual.`,
  );
  return {
    action: 'circuit_break_provider',
    params: { provider: e.provider, duration_seconds: duration, reason: clip(`latency on ${provider} at ${ratio.toFixed(1)}× its median; model group ${group} unreadable; shed its traffic for ${duration} s`, REASON_MAX) },
    sentences,
    rule: 'latency.spike:decisive-break',
    facts,
  };
}
