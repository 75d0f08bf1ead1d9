import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { appendAudit, type AuditRecord } from '../audit/append.js';
import { schema, type Tx } from '../db/client.js';
import { matcherLabel } from '../domain/silences.js';
import type { PlatformEvent } from '../domain/events.js';
import { enqueue, enqueueNotifications, job, type JobHandler } from '../jobs/index.js';
import { activeSilences, longest, matching, type ActiveSilence } from './active.js';
import { withTx, type SilenceDeps } from './deps.js';

/**
 * What a silence does (issue 20): events it matches are stored and audited as ever, with an
 * `events.silenced` row naming it; their incident is held — no proposal, no page, no card — and
 * says so (`incidents.silence`) until the silence ends, when the incident proceeds.
 */

const { incidents, proposals } = schema;
const SCHEDULER = { type: 'system', name: 'scheduler' } as const;
const INGEST = { type: 'system', name: 'ingest' } as const;

export type IncidentSilence = { id: string; until: string; by: string; reason: string };
const marker = (s: ActiveSilence): IncidentSilence => ({ id: s.id, until: s.until.toISOString(), by: s.by, reason: s.reason });
const sameMarker = (a: IncidentSilence | null, b: IncidentSilence) => a !== null && a.id === b.id && a.until === b.until;

/**
 * Inside ingest's transaction, after the events are stored: the audit rows for the stored events a
 * silence matches (returned, for ingest's one audit append, which takes the chain lock last), the
 * incidents they fall in marked as held, and the counts by matcher for the metric.
 */
export async function silenceStoredEvents(
  tx: Tx,
  deps: Pick<SilenceDeps, 'policy' | 'maintenance' | 'clock'>,
  stored: readonly { event: PlatformEvent; incidentId: string }[],
  /** The silences in force, when the caller has read them already (ingest reads them beside its locks). */
  inForce?: readonly ActiveSilence[],
): Promise<{ audits: AuditRecord[]; byMatcher: Map<string, number> }> {
  const byMatcher = new Map<string, number>();
  if (stored.length === 0) return { audits: [], byMatcher };
  const active = inForce ?? (await activeSilences(tx, deps, deps.clock.now()));
  if (active.length === 0) return { audits: [], byMatcher };
  const perIncident = new Map<string, { silences: Map<string, ActiveSilence>; events: string[] }>();
  for (const { event, incidentId } of stored) {
    const hits = matching(active, event.type, event.data as Record<string, unknown>);
    if (hits.length === 0) continue;
    const entry = perIncident.get(incidentId) ?? { silences: new Map<string, ActiveSilence>(), events: [] as string[] };
    for (const h of hits) {
      entry.silences.set(h.id, h);
      byMatcher.set(matcherLabel(h.matchers), (byMatcher.get(matcherLabel(h.matchers)) ?? 0) + 1);
    }
    entry.events.push(event.id);
    perIncident.set(incidentId, entry);
  }
  const audits: AuditRecord[] = [];
  for (const [incidentId, e] of perIncident) {
    const held = longest([...e.silences.values()])!;
    const [changed] = await tx
      .update(incidents)
      .set({ silence: marker(held) })
      .where(and(eq(incidents.id, incidentId), sql`(${incidents.silence} is null or ${incidents.silence}->>'id' <> ${held.id} or ${incidents.silence}->>'until' <> ${held.until.toISOString()})`))
      .returning({ id: incidents.id });
    audits.push({ kind: 'events.silenced', actor: INGEST, incidentId, payload: { silence_ids: [...e.silences.keys()].sort(), event_ids: e.events } });
    if (changed) audits.push({ kind: 'incident.silenced', actor: INGEST, incidentId, payload: { silence_id: held.id, until: held.until.toISOString(), by: held.by, reason: held.reason } });
  }
  return { audits, byMatcher };
}

/**
 * Marks an incident held by `cover` when it is not already (audited, its summary re-rendered);
 * written in the caller's transaction. Returns the audit rows to append last.
 */
async function markHeld(tx: Tx, deps: Pick<SilenceDeps, 'channels' | 'clock'>, incidentId: string, current: IncidentSilence | null, cover: ActiveSilence, actor: AuditRecord['actor']): Promise<AuditRecord[]> {
  const m = marker(cover);
  if (sameMarker(current, m)) return [];
  await tx.update(incidents).set({ silence: m }).where(eq(incidents.id, incidentId));
  await enqueueNotifications(tx, deps, [{ kind: 'incident.updated', incidentId, payload: { reason: 'silenced' } }]);
  return [{ kind: 'incident.silenced', actor, incidentId, payload: { silence_id: cover.id, until: m.until, by: cover.by, reason: cover.reason } }];
}

/** Open incidents a silence in force now covers are marked held (a silence just made or just started). Returns the audit rows. */
export async function holdMatchingIncidents(tx: Tx, deps: Pick<SilenceDeps, 'channels' | 'clock' | 'policy' | 'maintenance'>, now: Date): Promise<AuditRecord[]> {
  const active = await activeSilences(tx, deps, now);
  if (active.length === 0) return [];
  const open = await tx.select({ id: incidents.id, type: incidents.type, latest: incidents.latest, silence: incidents.silence }).from(incidents).where(eq(incidents.status, 'open')).limit(5000);
  const audits: AuditRecord[] = [];
  for (const i of open) {
    const cover = longest(matching(active, i.type, i.latest));
    if (cover) audits.push(...(await markHeld(tx, deps, i.id, i.silence, cover, SCHEDULER)));
  }
  return audits;
}

/**
 * Before reasoning (propose): the silence holding this incident, marked and audited, or undefined
 * when none does and the incident may proceed.
 */
export async function holdIfSilenced(deps: SilenceDeps, incidentId: string): Promise<ActiveSilence | undefined> {
  return withTx(deps, async (tx) => {
    const [inc] = await tx.select({ type: incidents.type, latest: incidents.latest, silence: incidents.silence, status: incidents.status }).from(incidents).where(eq(incidents.id, incidentId)).for('update');
    if (!inc || inc.status !== 'open') return undefined;
    const cover = longest(matching(await activeSilences(tx, deps, deps.clock.now()), inc.type, inc.latest));
    if (!cover) return undefined;
    const audits = await markHeld(tx, deps, incidentId, inc.silence, cover, { type: 'system', name: 'agent' });
    if (audits.length > 0) await appendAudit(tx, ...audits);
    return cover;
  });
}

/**
 * Held incidents whose silence is over: still covered by another, they show that one; else they
 * are released (audited, summary re-rendered) and, without a proposal yet, given a due `propose`
 * job under the incident's one key — so replicas releasing together propose once.
 */
export async function releaseSilenced(deps: SilenceDeps): Promise<string[]> {
  const now = deps.clock.now();
  const held = await deps.db.select({ id: incidents.id }).from(incidents).where(and(eq(incidents.status, 'open'), isNotNull(incidents.silence))).limit(5000);
  const released: string[] = [];
  for (const { id } of held) {
    const done = await deps.db.transaction(async (tx) => {
      const [inc] = await tx.select({ type: incidents.type, latest: incidents.latest, silence: incidents.silence, status: incidents.status }).from(incidents).where(eq(incidents.id, id)).for('update');
      if (!inc?.silence || inc.status !== 'open') return false;
      const cover = longest(matching(await activeSilences(tx, deps, now), inc.type, inc.latest));
      if (cover) {
        const audits = await markHeld(tx, deps, id, inc.silence, cover, SCHEDULER);
        if (audits.length > 0) await appendAudit(tx, ...audits);
        return false;
      }
      await tx.update(incidents).set({ silence: null }).where(eq(incidents.id, id));
      const [p] = await tx.select({ id: proposals.id }).from(proposals).where(eq(proposals.incidentId, id)).limit(1);
      if (!p) await enqueue(tx, job('propose', `propose:${id}`, now, { incident_id: id }), { rearm: true });
      await enqueueNotifications(tx, deps, [{ kind: 'incident.updated', incidentId: id, payload: { reason: 'unsilenced' } }]);
      await appendAudit(tx, { kind: 'incident.unsilenced', actor: SCHEDULER, incidentId: id, payload: { silence_id: inc.silence.id, proposal_follows: !p } });
      return true;
    });
    if (done) released.push(id);
  }
  if (released.length > 0) {
    deps.logger.info({ incidents: released }, 'silence over: held incidents proceed');
    deps.poke?.();
  }
  return released;
}

/** A silence started, ended or ran out: hold what it now covers, release what nothing covers any more. */
export const silenceEndJob: JobHandler<SilenceDeps, 'silence_end'> = async (deps) => {
  await withTx(deps, async (tx) => {
    const audits = await holdMatchingIncidents(tx, deps, deps.clock.now());
    if (audits.length > 0) await appendAudit(tx, ...audits);
  });
  await releaseSilenced(deps);
};
