import { and, isNull, lte, or, gt, isNotNull, eq } from 'drizzle-orm';
import { schema, type Executor } from '../db/client.js';
import { matchSubject, occurrence, parseSchedule, silenceMatches, type MaintenanceWindow, type Matchers } from '../domain/silences.js';
import type { SilenceDeps } from './deps.js';

/** A silence in force now: a one-off one, a maintenance window made through the API, or one from SRE_MAINTENANCE. */
export interface ActiveSilence {
  id: string;
  matchers: Matchers;
  /** When it stops holding (a window: the end of this occurrence). */
  until: Date;
  by: string;
  reason: string;
}

const { silences, incidents } = schema;

/** The silences in force at `now`: one indexed read, then the weekly schedules computed in the operators' zone. */
export async function activeSilences(ex: Executor, deps: Pick<SilenceDeps, 'policy' | 'maintenance'>, now: Date): Promise<ActiveSilence[]> {
  const rows = await ex
    .select()
    .from(silences)
    .where(and(isNull(silences.endedAt), lte(silences.startsAt, now), or(gt(silences.endsAt, now), isNotNull(silences.schedule))));
  const out: ActiveSilence[] = [];
  for (const r of rows) {
    if (r.schedule === null) {
      out.push({ id: r.id, matchers: r.matchers, until: r.endsAt!, by: r.createdBy, reason: r.reason });
      continue;
    }
    const s = parseSchedule(r.schedule);
    if (!s.ok) continue;
    const occ = occurrence(s.value, now, deps.policy.timeZone);
    if (occ.active) out.push({ id: r.id, matchers: r.matchers, until: r.endsAt && r.endsAt < occ.end ? r.endsAt : occ.end, by: r.createdBy, reason: r.reason });
  }
  out.push(...activeWindows(deps.maintenance ?? [], now, deps.policy.timeZone));
  return out;
}

export function activeWindows(windows: readonly MaintenanceWindow[], now: Date, timeZone: string): ActiveSilence[] {
  const out: ActiveSilence[] = [];
  for (const w of windows) {
    const occ = occurrence(w.schedule, now, timeZone);
    if (occ.active) out.push({ id: w.id, matchers: w.matchers, until: occ.end, by: 'SRE_MAINTENANCE', reason: w.reason });
  }
  return out;
}

/** The silences among `active` matching an event or incident subject. */
export const matching = (active: readonly ActiveSilence[], type: string, data: Record<string, unknown>): ActiveSilence[] => {
  const subject = matchSubject(type, data);
  return active.filter((s) => silenceMatches(s.matchers, subject));
};

/** The silence that holds longest among several (what an incident shows); undefined when none. */
export const longest = (list: readonly ActiveSilence[]): ActiveSilence | undefined =>
  list.reduce<ActiveSilence | undefined>((best, s) => (!best || s.until > best.until ? s : best), undefined);

/**
 * The silence covering an incident now (matched against its type and latest event), or undefined.
 * Read in the caller's transaction when one is given, so a gate sees what it locks.
 */
export async function incidentCover(ex: Executor, deps: Pick<SilenceDeps, 'policy' | 'maintenance' | 'clock'>, incidentId: string): Promise<ActiveSilence | undefined> {
  // Two independent reads, sent together (one connection pipelines them in a transaction): an approval waits on both.
  const [[inc], active] = await Promise.all([
    ex.select({ type: incidents.type, latest: incidents.latest }).from(incidents).where(eq(incidents.id, incidentId)),
    activeSilences(ex, deps, deps.clock.now()),
  ]);
  return inc ? coverOf(active, inc) : undefined;
}

/** The silence among those in force that covers an incident already read (its type and latest event). */
export const coverOf = (active: readonly ActiveSilence[], inc: { type: string; latest: Record<string, unknown> }): ActiveSilence | undefined => longest(matching(active, inc.type, inc.latest));
