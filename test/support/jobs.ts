import { isDomainError } from '../../src/domain/errors.js';
import { createCatalog, createJobRunner, type JobRunner } from '../../src/jobs/index.js';
import { buildCatalog } from '../../src/main.js';
import { proposalJobs, type ServiceDeps } from '../../src/proposals/index.js';
import { testConfig } from './agent.js';

/** The agent's job catalog, with reconciliation of any execution still `executing` (as tests want). */
export const testCatalog = () => buildCatalog(testConfig(), 0);

/**
 * A catalog whose `restore` runs the test's own handler (one it holds mid-run, to race a lease);
 * the proposal jobs are the agent's and every other kind does nothing.
 */
export function catalogWithRestore(restore: () => Promise<void>) {
  const nothing = async () => undefined;
  return createCatalog({ ...proposalJobs({ reconcileStaleMs: 0 }), close_quiet: nothing, retention: nothing, silence_end: nothing, audit_checkpoint: nothing, restore });
}

/** A job runner over the agent's catalog, leased to `holder`. */
export function testRunner(deps: ServiceDeps, opts: { holder?: string; leaseMs?: number } = {}): JobRunner {
  return createJobRunner(deps, testCatalog(), { holder: opts.holder ?? 'test-runner', isFinal: isDomainError, ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}) });
}

/** One pass over every due job of every kind, side by side (a one-shot, as a tick's lanes would). */
export async function runDueJobs(deps: ServiceDeps, limit = 50, runner = testRunner(deps)): Promise<number> {
  const rows = await runner.claim([...testCatalog().entries.keys()], limit);
  await Promise.all(rows.map((r) => runner.run(r)));
  return rows.length;
}
