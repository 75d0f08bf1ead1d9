import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db, Executor, Tx } from '../db/client.js';
import type { Channel } from '../domain/notifications.js';
import type { MaintenanceWindow } from '../domain/silences.js';
import type { Metrics } from '../metrics.js';

/** What the silence verbs need: a part of the proposals' ServiceDeps (which fits), so silences sit below proposals. */
export interface SilenceDeps {
  db: Db;
  tx?: Tx;
  clock: Clock;
  logger: Logger;
  channels: readonly Channel[];
  policy: { timeZone: string };
  maintenance?: readonly MaintenanceWindow[];
  metrics?: Metrics;
  poke?: () => void;
}

/** Joins the caller's transaction or opens one (as proposals/context.ts does). */
export const withTx = <T>(deps: Pick<SilenceDeps, 'db' | 'tx'>, fn: (tx: Tx) => Promise<T>): Promise<T> => (deps.tx ? fn(deps.tx) : deps.db.transaction(fn));
export const readerOf = (deps: Pick<SilenceDeps, 'db' | 'tx'>): Executor => deps.tx ?? deps.db;
