import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryRows, schema } from '../../src/db/client.js';
import { execute } from '../../src/proposals/index.js';
import { createSilence, releaseSilenced } from '../../src/silences/index.js';
import { makeDeps, seedPending } from '../notify/fixtures.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';

/** The gate's silence check: an approved proposal whose incident a silence now covers is not executed, from any path; it waits. */
describe('the gate and a silence', () => {
  let d: TestDatabase;
  beforeEach(async () => {
    d = await freshPostgres();
  });
  afterEach(async () => {
    await d.dispose();
  });

  it('refuses the claim with 409 silenced, puts the proposal back to pending with the reason, and executes nothing', async () => {
    const deps = makeDeps(d.db);
    const s = await seedPending(d.db, { status: 'approved' });
    await d.db.update(schema.proposals).set({ decidedBy: 'alice', decidedVia: 'api', decidedAt: deps.clock.now() }).where(eq(schema.proposals.id, s.proposalId));
    const made = await createSilence(deps, { matchers: { provider: 'openai' }, forMs: 3_600_000, reason: 'migration', actor: { type: 'user', name: 'bob', via: 'api' } });
    await expect(execute(deps, { proposalId: s.proposalId })).rejects.toMatchObject({ code: 'silenced', message: expect.stringMatching(/silenced until 11:00 by bob: migration/) });
    const [p] = await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, s.proposalId));
    expect(p).toMatchObject({ status: 'pending' });
    expect(p!.riskFactors).toContainEqual({ name: 'silence', delta: 0, reason: expect.stringMatching(/silenced until/) });
    expect(await d.db.select().from(schema.executions)).toEqual([]);
    const held = await queryRows<{ payload: Record<string, unknown> }>(d.db, sql`select payload from sre_actions where kind = 'proposal.held'`);
    expect(held).toEqual([{ payload: expect.objectContaining({ check: 'silence' }) }]);
    // The incident shows which silence holds it; released once it runs out (it had a proposal: none is made again).
    const [inc] = await d.db.select().from(schema.incidents).where(eq(schema.incidents.id, s.incidentId));
    expect(inc!.silence).toMatchObject({ id: made.id, by: 'bob', reason: 'migration' });
    expect(await releaseSilenced(deps)).toEqual([]);
  });
});
