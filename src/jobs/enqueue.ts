import { and, eq, sql, type SQL } from 'drizzle-orm';
import { schema, type Executor } from '../db/client.js';
import { currentTraceparent } from '../telemetry/index.js';
import { JOB_KINDS, type JobKindName, type PayloadOf } from './kinds.js';

/** One job to write: its kind, payload, the key that makes it unique while live, and when it is due. */
export interface JobSpec<K extends JobKindName = JobKindName> {
  kind: K;
  payload: PayloadOf<K>;
  /** One live job per key (e.g. `expire:<proposal>`), so a retry of the caller never schedules twice. */
  key: string;
  runAt: Date;
  /** The trace the run continues (a W3C traceparent); unset: the span active when it is written. */
  traceParent?: string | null;
}

export const job = <K extends JobKindName>(kind: K, key: string, runAt: Date, payload: PayloadOf<K>): JobSpec<K> => ({ kind, key, runAt, payload });

/**
 * Writes jobs inside the caller's transaction: they commit with the step that needs them or not at
 * all. A key already scheduled is left as it is; with `rearm`, a key whose job already ran (done or
 * dead) is due again instead.
 */
export async function enqueue(tx: Executor, jobs: JobSpec | readonly JobSpec[], opts: { rearm?: boolean } = {}): Promise<void> {
  const list = (Array.isArray(jobs) ? jobs : [jobs]) as readonly JobSpec[];
  if (list.length === 0) return;
  const insert = tx.insert(schema.timers).values(list.map(valuesOf));
  if (!opts.rearm) await insert.onConflictDoNothing();
  else await insert.onConflictDoUpdate(rearm({ leasedBy: null, leaseExpiresAt: null, attempts: 0 }));
}

/**
 * Writes one job already leased to `holder` (the caller runs it right after its commit, with no
 * claim of its own); a key whose job already ran is due again. Returns the row id, or undefined
 * when a live job of that key exists (its holder runs it). A crash before the run leaves the job
 * to be taken over when the lease ends.
 */
export async function enqueueLeased(tx: Executor, spec: JobSpec, lease: { holder: string; until: SQL }): Promise<number | undefined> {
  const t = schema.timers;
  const leased = { leasedBy: lease.holder, leaseExpiresAt: lease.until, attempts: 1 };
  const [row] = await tx
    .insert(t)
    .values({ ...valuesOf(spec), ...leased })
    .onConflictDoUpdate(rearm(leased))
    .returning({ id: t.id });
  return row?.id;
}

function valuesOf(j: JobSpec) {
  return { kind: j.kind, key: j.key, runAt: j.runAt, payload: JOB_KINDS[j.kind].payload.parse(j.payload) as Record<string, unknown>, traceParent: j.traceParent ?? currentTraceparent() ?? null };
}

/** On a key whose job is done or dead: due again, with these lease columns. */
function rearm(lease: { leasedBy: string | null; leaseExpiresAt: SQL | null; attempts: number }) {
  const t = schema.timers;
  return {
    target: t.key,
    set: { status: 'pending', runAt: sql`excluded.run_at`, payload: sql`excluded.payload`, traceParent: sql`excluded.trace_parent`, lastError: null, doneAt: null, ...lease },
    setWhere: sql`${t.status} <> 'pending'`,
  };
}

/**
 * Completes the pending job of this key inside the caller's transaction: the work it stood for
 * committed there (an execution claimed, or refused by the gate), so nothing is left to run.
 */
export async function completeJob(tx: Executor, key: string, now: Date): Promise<void> {
  const t = schema.timers;
  await tx
    .update(t)
    .set({ status: 'done', doneAt: now, leasedBy: null, leaseExpiresAt: null, lastError: null })
    .where(and(eq(t.key, key), eq(t.status, 'pending')));
}
