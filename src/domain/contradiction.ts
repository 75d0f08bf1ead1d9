import type { EventType } from './events.js';

/** What the gateway itself reads about the incident's subject (only the fields compared here). */
export interface SubjectReads {
  provider?: { name: string; healthy: boolean; error_rate?: number | undefined } | undefined;
  budget?: { hard_limit_usd: number; soft_limit_usd?: number | undefined; spend_usd?: number | undefined } | undefined;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

/**
 * When the gateway's own read contradicts the event, in words; undefined when it does not (or
 * there is nothing to compare). Whoever holds the ingest token, or can write the stream, must not
 * be able to cause an outage by describing one: such a proposal is never executed automatically.
 */
export function eventContradiction(type: EventType, data: Record<string, unknown>, reads: SubjectReads): string | undefined {
  if (type === 'provider.unhealthy' && reads.provider?.healthy) {
    const said = typeof data.error_rate === 'number' ? data.error_rate : undefined;
    const read = reads.provider.error_rate;
    // A healthy read with an error rate well under the event's (or none) is a different story.
    if (said !== undefined && (read === undefined || read < Math.max(0.05, said / 4))) {
      return `the gateway reads ${reads.provider.name} healthy${read !== undefined ? ` (error rate ${pct(read)})` : ''} while the event reports ${pct(said)} errors`;
    }
  }
  if (type === 'budget.exceeded' && reads.budget?.spend_usd !== undefined) {
    const limit = typeof data.limit_usd === 'number' ? data.limit_usd : undefined;
    const kind = data.limit_kind === 'soft' ? reads.budget.soft_limit_usd ?? reads.budget.hard_limit_usd : reads.budget.hard_limit_usd;
    if (limit !== undefined && reads.budget.spend_usd < Math.min(limit, kind)) {
      return `the gateway reads $${reads.budget.spend_usd} spent against a limit of $${kind}, while the event reports the limit of $${limit} exceeded`;
    }
  }
  return undefined;
}
