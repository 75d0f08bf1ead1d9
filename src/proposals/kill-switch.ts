import { eq } from 'drizzle-orm';
import { schema, type Executor } from '../db/client.js';

const { agentSwitch } = schema;

/** The one row of the kill switch; absent until the first pause, which reads as "not paused". */
export const SWITCH_ID = 'agent';

export interface SwitchState {
  paused: boolean;
  pausedBy: string | null;
  pausedReason: string | null;
  pausedAt: Date | null;
}

const OFF: SwitchState = { paused: false, pausedBy: null, pausedReason: null, pausedAt: null };

/**
 * The switch as this transaction sees it. `lock: 'share'` is for claiming transactions (a pause
 * waits for claims in flight, and a claim after it sees it); `'update'` is for pause and resume.
 * A locking read always locks the row: before the first pause there is none, and a read that
 * locks nothing would let a claim and that pause pass each other, so it makes the row (unpaused;
 * a second transaction making it at once waits for the first) and reads it again under the lock.
 */
export async function readSwitch(ex: Executor, lock?: 'share' | 'update'): Promise<SwitchState> {
  const q = () => ex.select().from(agentSwitch).where(eq(agentSwitch.id, SWITCH_ID));
  let [row] = lock ? await q().for(lock) : await q();
  if (!row && lock) {
    await ex.insert(agentSwitch).values({ id: SWITCH_ID, paused: false }).onConflictDoNothing();
    [row] = await q().for(lock);
  }
  if (!row) return OFF;
  return { paused: row.paused, pausedBy: row.pausedBy, pausedReason: row.pausedReason, pausedAt: row.pausedAt };
}
