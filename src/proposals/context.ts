import type { Executor, Tx } from '../db/client.js';
import type { ServiceDeps } from './types.js';

/**
 * Verbs compose: each takes `(deps, input)`, and does its writes through `withTransaction`, which
 * joins the transaction a caller already holds (`{ ...deps, tx }`) or opens one. Joined, a verb's
 * writes commit or roll back with the caller's.
 */
export function withTransaction<T>(deps: Pick<ServiceDeps, 'db' | 'tx'>, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return deps.tx ? fn(deps.tx) : deps.db.transaction(fn);
}

/** Where a read model reads: the caller's transaction when joined (it sees its own writes), else the database. */
export const reader = (deps: Pick<ServiceDeps, 'db' | 'tx'>): Executor => deps.tx ?? deps.db;

/** The same deps joined to `tx`: verbs called with it write in that transaction. */
export const joined = <D extends Pick<ServiceDeps, 'tx'>>(deps: D, tx: Tx): D => ({ ...deps, tx });
