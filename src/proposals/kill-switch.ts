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
 */
export async function readSwitch(ex: Executor, lock?: 'share' | 'update'): Promise<SwitchState> {
  const q = ex.select().from(agentSwitch).where(eq(agentSwitch.id, SWITCH_ID));
  const [row] = lock ? await q.for(lock) : await q;
  if (!row) return OFF;
  return { paused: row.paused, pausedBy: row.pausedBy, pausedReason: row.pausedReason, pausedAt: row.pausedAt };
}
