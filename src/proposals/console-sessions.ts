import { eq, lt } from 'drizzle-orm';
import { schema } from '../db/client.js';
import { reader } from './context.js';
import type { ServiceDeps } from './types.js';

const { consoleSessionRevocations: revocations } = schema;

/**
 * The console's revoked sessions (sign-out), by a hash of the session id: every replica refuses
 * a revoked cookie, after a restart too. Rows of sessions that would have expired anyway are pruned.
 */
export async function revokeConsoleSession(deps: Pick<ServiceDeps, 'db' | 'tx' | 'clock'>, input: { sidHash: string; expiresAt: Date }): Promise<void> {
  const db = reader(deps);
  const now = deps.clock.now();
  await db.delete(revocations).where(lt(revocations.expiresAt, now));
  await db.insert(revocations).values({ sidHash: input.sidHash, expiresAt: input.expiresAt, revokedAt: now }).onConflictDoNothing();
}

export async function isConsoleSessionRevoked(deps: Pick<ServiceDeps, 'db' | 'tx'>, input: { sidHash: string }): Promise<boolean> {
  const rows = await reader(deps).select({ sidHash: revocations.sidHash }).from(revocations).where(eq(revocations.sidHash, input.sidHash)).limit(1);
  return rows.length > 0;
}
