import { eq, inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { schema, type Db, type Executor } from '../db/client.js';
import { errorText } from '../db/errors.js';
import { enqueueLeased, type JobSpec } from './enqueue.js';
import type { Catalog, JobContext } from './catalog.js';
import { backoffMs, type JobKindName } from './kinds.js';
import type { LeaseCounters } from './lease.js';
import { createLeasedQueue, type LeasedQueue, type QueueRow } from './queue.js';
import { failSpan, withSpan } from '../telemetry/index.js';

/** What the job machinery needs of the services' dependencies. */
export interface JobDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics?: LeaseCounters | undefined;
}

export type JobRow = QueueRow<'timer'>;

export interface JobRunner {
  readonly queue: LeasedQueue<'timer'>;
  /** Claims up to `limit` due jobs of these kinds, oldest first, leased to this replica. */
  claim(kinds: readonly JobKindName[], limit: number): Promise<JobRow[]>;
  /** Runs one claimed job through its kind's handler with its lease renewed; records done, a retry with backoff, or dead. */
  run(row: JobRow, extra?: Pick<JobContext, 'deadline'>): Promise<boolean>;
  /**
   * Writes a job leased to this runner in the caller's transaction (enqueue.ts `enqueueLeased`):
   * the caller does the work right after its commit and completes the job in the work's own
   * transaction (`completeJob`); no lane takes it meanwhile, and after a crash a lane takes it over
   * once the lease ends.
   */
  enqueueLeased(tx: Executor, spec: JobSpec): Promise<number | undefined>;
  /** The caller's work on a job it leased itself failed: it is due again after backoff, for any lane. */
  retryLeased(key: string, error: unknown): Promise<void>;
  stop(): void;
}

export interface JobRunnerOptions {
  holder: string;
  leaseMs?: number;
  /** An error after which retrying cannot help (a refusal the work already recorded): the job is done. */
  isFinal?: (err: unknown) => boolean;
}

export function createJobRunner<D extends JobDeps>(deps: D, catalog: Catalog<D>, opts: JobRunnerOptions): JobRunner {
  const queue = createLeasedQueue('timer', { db: deps.db, clock: deps.clock, logger: deps.logger, holder: opts.holder, leaseMs: opts.leaseMs, metrics: deps.metrics });

  /**
   * One span per run, continuing the trace the job was written in (its stored traceparent): a
   * timer that fires hours later, or on the replica that took over a dead one's lease, joins the
   * incident's trace.
   */
  function run(row: JobRow, extra: Pick<JobContext, 'deadline'> = {}): Promise<boolean> {
    const attributes = { 'sre.job.kind': row.kind, 'sre.job.key': row.key, 'sre.job.attempt': row.attempts, 'sre.replica': opts.holder };
    return withSpan(`sre.job ${row.kind}`, { parent: row.traceParent, attributes }, async (span) => {
      const ok = await runIn(row, extra);
      if (!ok) failSpan(span, new Error(`job ${row.kind} failed`));
      return ok;
    });
  }

  async function runIn(row: JobRow, extra: Pick<JobContext, 'deadline'>): Promise<boolean> {
    const entry = catalog.entry(row.kind);
    const log = deps.logger.child({ job: row.key, kind: row.kind });
    try {
      if (!entry) throw new Error(`no handler for job kind ${row.kind}`);
      await entry.run(deps, row.payload, { key: row.key, runAt: row.runAt, attempts: row.attempts, ...extra });
      queue.release(row.id);
      // No longer leased here when it finished: a peer took it over (this replica was paused past
      // its heartbeat), or the work completed it itself. Its outcome is recorded, or the peer's to record.
      if (queue.keeper.takenOver(row.id)) {
        log.info('job no longer leased to this replica when its run here ended; its outcome is left as recorded (a peer took it over, or it completed itself)');
        return false;
      }
      if (entry.everyMs !== undefined) await queue.retry(row.id, new Date(deps.clock.nowMs() + entry.everyMs), null, { resetAttempts: true });
      else await queue.finish(deps.db, row.id, { status: 'done', doneAt: deps.clock.now() });
      return true;
    } catch (e) {
      queue.release(row.id);
      const message = errorText(e);
      if (entry?.everyMs !== undefined) {
        log.error({ err: e }, 'recurring job failed; it runs again at its next period');
        await queue.retry(row.id, new Date(deps.clock.nowMs() + entry.everyMs), message, { resetAttempts: true });
        return false;
      }
      // A payload that does not fit its kind never will: it goes dead at once.
      const dead = !entry || row.attempts >= entry.retry.maxAttempts || (e as { name?: string }).name === 'ZodError';
      log.error({ err: e, attempts: row.attempts }, dead ? 'job gave up' : 'job failed; will retry');
      if (dead) await queue.finish(deps.db, row.id, { status: 'dead', lastError: message.slice(0, 1000) });
      else await queue.retry(row.id, new Date(deps.clock.nowMs() + backoffMs(entry.retry, row.attempts)), message);
      return false;
    }
  }

  async function retryLeased(key: string, error: unknown): Promise<void> {
    const [row] = await deps.db.select({ id: schema.timers.id, kind: schema.timers.kind, attempts: schema.timers.attempts }).from(schema.timers).where(eq(schema.timers.key, key));
    if (!row) return;
    const retry = catalog.entry(row.kind)?.retry;
    await queue.retry(row.id, new Date(deps.clock.nowMs() + (retry ? backoffMs(retry, row.attempts) : 1_000)), errorText(error));
  }

  return {
    queue,
    retryLeased,
    enqueueLeased: (tx, spec) => enqueueLeased(tx, spec, { holder: queue.keeper.holder, until: queue.keeper.expiry() }),
    claim: (kinds, limit) => (kinds.length === 0 ? Promise.resolve([]) : queue.claim({ where: inArray(schema.timers.kind, [...kinds]), limit })),
    run,
    stop: () => queue.stop(),
  };
}
