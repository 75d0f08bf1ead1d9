import { randomBytes } from 'node:crypto';
import { and, eq, isNull, or, gt, isNotNull, desc } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { schema } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import { actorChannel, actorName, type Actor } from '../domain/proposal.js';
import { endsAtProblem, occurrence, parseMatchers, parseSchedule, scheduleText, type Matchers, type SilenceView } from '../domain/silences.js';

export type { SilenceView };
import { enqueue, job } from '../jobs/index.js';
import { holdMatchingIncidents } from './effect.js';
import { readerOf, withTx, type SilenceDeps } from './deps.js';

const { silences } = schema;

export interface CreateSilenceInput {
  matchers?: unknown;
  starts_at?: unknown;
  ends_at?: unknown;
  /** Instead of ends_at: how long from the start (Slack `2h`, CLI `--for 2h`). */
  forMs?: number;
  schedule?: unknown;
  reason?: unknown;
  actor: Actor;
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const silenceId = () => `sil_${[...randomBytes(12)].map((b) => ALPHABET[b % 32]).join('')}`;

function time(raw: unknown, field: string): Date | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const d = raw instanceof Date ? raw : typeof raw === 'string' ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new DomainError('invalid', `${field}: expected an ISO time such as 2026-12-05T02:00:00Z`);
  return d;
}

interface Checked {
  matchers: Matchers;
  startsAt: Date;
  endsAt: Date | null;
  schedule: string | null;
  reason: string;
}

/** Every rule of a new silence; a problem is thrown as `invalid` naming the field, before anything is written. */
function check(input: CreateSilenceInput, now: Date): Checked {
  const m = parseMatchers(input.matchers);
  if (!m.ok) throw new DomainError('invalid', m.problem);
  if (typeof input.reason !== 'string' || input.reason.trim().length === 0) throw new DomainError('invalid', 'reason: a silence needs a reason (text saying why)');
  const reason = input.reason.trim();
  if (reason.length > 500) throw new DomainError('invalid', 'reason: at most 500 characters');
  const startsAt = time(input.starts_at, 'starts_at') ?? now;
  if (startsAt.getTime() < now.getTime() - 60_000) throw new DomainError('invalid', 'starts_at: in the past (leave it out to start now)');
  const endsAt = input.forMs !== undefined ? new Date(startsAt.getTime() + input.forMs) : time(input.ends_at, 'ends_at');
  if (input.schedule !== undefined && input.schedule !== null) {
    const s = typeof input.schedule === 'string' ? parseSchedule(input.schedule) : ({ ok: false, problem: 'schedule: expected text such as sun 02:00-04:00' } as const);
    if (!s.ok) throw new DomainError('invalid', s.problem.startsWith('schedule') ? s.problem : `schedule: ${s.problem}`);
    if (endsAt && endsAt.getTime() <= now.getTime()) throw new DomainError('invalid', `ends_at: ${endsAt.toISOString()} is in the past`);
    return { matchers: m.value, startsAt, endsAt: endsAt ?? null, schedule: scheduleText(s.value), reason };
  }
  const problem = endsAtProblem(endsAt, startsAt, now);
  if (problem) throw new DomainError('invalid', problem);
  return { matchers: m.value, startsAt, endsAt: endsAt!, schedule: null, reason };
}

/**
 * Makes a silence (or, with a schedule, a weekly maintenance window): checked, stored and audited
 * in one transaction, with the job that releases what it held when it ends. The caller has
 * checked that the actor may approve (each surface's own approver check).
 */
export async function createSilence(deps: SilenceDeps, input: CreateSilenceInput): Promise<SilenceView> {
  const now = deps.clock.now();
  const c = check(input, now);
  const id = silenceId();
  const by = actorName(input.actor);
  await withTx(deps, async (tx) => {
    await tx.insert(silences).values({ id, matchers: c.matchers, startsAt: c.startsAt, endsAt: c.endsAt, schedule: c.schedule, reason: c.reason, createdBy: by, createdAt: now });
    if (c.endsAt && !c.schedule) await enqueue(tx, job('silence_end', `silence_end:${id}`, c.endsAt, { silence_id: id }));
    if (c.startsAt.getTime() > now.getTime()) await enqueue(tx, job('silence_end', `silence_start:${id}`, c.startsAt, { silence_id: id }));
    const held = await holdMatchingIncidents(tx, deps, now);
    // The audit chain's lock last, as every writer takes it (ingest.ts).
    await appendAudit(
      tx,
      {
        kind: 'silence.created',
        actor: input.actor,
        payload: { silence_id: id, matchers: c.matchers, reason: c.reason, channel: actorChannel(input.actor), starts_at: c.startsAt.toISOString(), ends_at: c.endsAt?.toISOString() ?? null, schedule: c.schedule },
      },
      ...held,
    );
  });
  deps.logger.info({ silence_id: id, by, matchers: c.matchers }, 'silence created');
  deps.poke?.();
  return (await getSilence(deps, id))!;
}

/** Ends a silence now: audited; what it alone held is released by the job written here (a proposal follows within one lease). */
export async function endSilence(deps: SilenceDeps, input: { id: string; actor: Actor }): Promise<SilenceView> {
  const now = deps.clock.now();
  if (input.id.startsWith('mnt_')) throw new DomainError('refused', `${input.id} is a maintenance window from SRE_MAINTENANCE; change the configuration to end it`);
  await withTx(deps, async (tx) => {
    const [row] = await tx.select().from(silences).where(eq(silences.id, input.id)).for('update');
    if (!row) throw new DomainError('not_found', `silence ${input.id} not found`);
    if (row.endedAt) throw new DomainError('conflict', `silence ${input.id} was already ended by ${row.endedBy ?? 'someone'} at ${row.endedAt.toISOString()}`);
    if (row.endsAt && row.endsAt.getTime() <= now.getTime()) throw new DomainError('conflict', `silence ${input.id} already ran out at ${row.endsAt.toISOString()}`);
    await tx.update(silences).set({ endedAt: now, endedBy: actorName(input.actor) }).where(and(eq(silences.id, input.id), isNull(silences.endedAt)));
    await enqueue(tx, job('silence_end', `silence_ended:${input.id}`, now, { silence_id: input.id }));
    await appendAudit(tx, { kind: 'silence.ended', actor: input.actor, payload: { silence_id: input.id, channel: actorChannel(input.actor), matchers: row.matchers } });
  });
  deps.logger.info({ silence_id: input.id }, 'silence ended');
  deps.poke?.();
  return (await getSilence(deps, input.id))!;
}

type Row = typeof silences.$inferSelect;

function viewOf(r: Row, now: Date, timeZone: string): SilenceView {
  const s = r.schedule ? parseSchedule(r.schedule) : undefined;
  const occ = s?.ok ? occurrence(s.value, now, timeZone) : undefined;
  const live = !r.endedAt && r.startsAt <= now && (r.endsAt === null || r.endsAt > now);
  return {
    id: r.id,
    matchers: r.matchers,
    starts_at: r.startsAt.toISOString(),
    ends_at: r.endsAt?.toISOString() ?? null,
    schedule: r.schedule,
    next: occ ? { starts_at: occ.start.toISOString(), ends_at: occ.end.toISOString() } : null,
    active: live && (occ ? occ.active : true),
    reason: r.reason,
    created_by: r.createdBy,
    created_at: r.createdAt.toISOString(),
    ended_at: r.endedAt?.toISOString() ?? null,
    ended_by: r.endedBy,
    source: 'api',
  };
}

export async function getSilence(deps: Pick<SilenceDeps, 'db' | 'tx' | 'clock' | 'policy'>, id: string): Promise<SilenceView | undefined> {
  const [r] = await readerOf(deps).select().from(silences).where(eq(silences.id, id));
  return r ? viewOf(r, deps.clock.now(), deps.policy.timeZone) : undefined;
}

/** Silences not over yet (active or to come), newest first, and the SRE_MAINTENANCE windows after them. */
export async function listSilences(deps: Pick<SilenceDeps, 'db' | 'tx' | 'clock' | 'policy' | 'maintenance'>): Promise<SilenceView[]> {
  const now = deps.clock.now();
  const rows = await readerOf(deps)
    .select()
    .from(silences)
    .where(and(isNull(silences.endedAt), or(gt(silences.endsAt, now), isNotNull(silences.schedule))))
    .orderBy(desc(silences.createdAt))
    .limit(500);
  const windows = (deps.maintenance ?? []).map((w): SilenceView => {
    const occ = occurrence(w.schedule, now, deps.policy.timeZone);
    return {
      id: w.id,
      matchers: w.matchers,
      starts_at: occ.start.toISOString(),
      ends_at: null,
      schedule: scheduleText(w.schedule),
      next: { starts_at: occ.start.toISOString(), ends_at: occ.end.toISOString() },
      active: occ.active,
      reason: w.reason,
      created_by: 'SRE_MAINTENANCE',
      created_at: occ.start.toISOString(),
      ended_at: null,
      ended_by: null,
      source: 'config',
    };
  });
  return [...rows.map((r) => viewOf(r, now, deps.policy.timeZone)), ...windows];
}
