import { and, eq, inArray, type SQL } from 'drizzle-orm';
import { schema, type Executor } from '../db/client.js';
import { canTransition, type ProposalStatus } from '../domain/proposal.js';

const { proposals } = schema;
export type ProposalRow = typeof proposals.$inferSelect;
type ProposalSet = Partial<Omit<typeof proposals.$inferInsert, 'id' | 'status'>>;

/**
 * Every status write goes through the state machine (domain/proposal.ts TRANSITIONS): one
 * conditional UPDATE from the allowed earlier statuses, so zero rows means "someone else moved it
 * first" (a double click, a second approver, a retry) and nothing happens twice.
 */
export async function transition(ex: Executor, where: { id: string } | { where: SQL }, from: ProposalStatus | readonly ProposalStatus[], to: ProposalStatus, set: ProposalSet = {}): Promise<ProposalRow[]> {
  const froms: readonly ProposalStatus[] = typeof from === 'string' ? [from] : from;
  for (const f of froms) if (!canTransition(f, to)) throw new Error(`the proposal state machine has no edge ${f} → ${to}`);
  const which = 'id' in where ? eq(proposals.id, where.id) : where.where;
  return ex
    .update(proposals)
    .set({ ...set, status: to })
    .where(and(which, inArray(proposals.status, [...froms])))
    .returning();
}

/** The one row moved, or undefined when it was no longer in a `from` status. */
export async function transitionOne(ex: Executor, id: string, from: ProposalStatus | readonly ProposalStatus[], to: ProposalStatus, set: ProposalSet = {}): Promise<ProposalRow | undefined> {
  const [row] = await transition(ex, { id }, from, to, set);
  return row;
}
