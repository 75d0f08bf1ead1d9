import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { schema } from '../../src/db/client.js';
import { decide } from '../../src/proposals/decide.js';
import { finish } from '../../src/proposals/executions.js';
import { newId } from '../../src/proposals/ids.js';
import { revert } from '../../src/proposals/revert.js';
import { deferred } from '../support/barrier.js';
import { lockWaits, queuedOnALock } from '../support/db.js';
import { eventually } from '../support/eventually.js';
import { pgTest as test } from '../support/fixtures.js';
import { makeDeps, seedPending } from '../notify/fixtures.js';

describe('proposal and execution row locks', () => {
  test('a second revert while the first is finishing is answered "already reverted" without waiting on the revert execution the finish holds', async ({ db: d }) => {
    const deps = makeDeps(d.db);
    const s = await seedPending(d.db);
    const alice = { type: 'user', name: 'alice', via: 'api' } as const;
    await expect(decide(deps, { proposalId: s.proposalId, decision: 'approve', actor: alice })).resolves.toMatchObject({ status: 'succeeded' });
    await revert(deps, { proposalId: s.proposalId, actor: alice });

    // The first revert's finish: it holds the revert execution row, then wants the proposal row.
    const holding = deferred();
    const goOn = deferred();
    const finish = d.db.transaction(async (tx) => {
      await tx.execute(sql`update executions set attempts = attempts + 1 where proposal_id = ${s.proposalId} and operation = 'revert'`);
      holding.resolve();
      await goOn.promise;
      await tx.execute(sql`update proposals set updated_at = now() where id = ${s.proposalId}`);
    });
    await holding.promise;
    let answered = false;
    const second = revert(deps, { proposalId: s.proposalId, actor: { type: 'user', name: 'bob', via: 'api' } })
      .then(
        () => null,
        (e: unknown) => e,
      )
      .finally(() => (answered = true));
    // The race: the second revert must meet the finish while it holds the execution row: answered
    // then (it took the proposal row and stopped), or, were it to go on, queued on the execution row.
    await eventually(async () => answered || (await lockWaits(d)) > 0, { what: 'the second revert answered or queued while the finish holds the execution row', timeoutMs: 10_000 });
    goOn.resolve();
    // Had it gone on to insert into executions, one of the two would die with "deadlock detected".
    expect(String(await second)).toMatch(/already reverted by alice/);
    await expect(finish).resolves.toBeUndefined();
    const [n] = await queryRows<{ n: number }>(d.db, sql`select count(*)::int as n from executions where proposal_id = ${s.proposalId} and operation = 'revert'`);
    expect(n!.n).toBe(1);
  });

  test('finish takes the proposal row before the execution row, as decide and revert do', async ({ db: d }) => {
    const deps = makeDeps(d.db);
    // A provider the simulated gateway knows: the re-check refuses one it cannot read (fail closed).
    const s = await seedPending(d.db, { provider: 'mistral' });
    const alice = { type: 'user', name: 'alice', via: 'api' } as const;
    await decide(deps, { proposalId: s.proposalId, decision: 'approve', actor: alice });
    const [p] = await d.db.select().from(schema.proposals).where(sql`id = ${s.proposalId}`);
    const exeId = newId('exe');
    await d.db.insert(schema.executions).values({ id: exeId, proposalId: s.proposalId, operation: 'revert', status: 'executing', request: {}, startedAt: new Date(), attempts: 1 });

    // Another writer holds the proposal and will touch the execution next (proposal, then execution).
    const holding = deferred();
    const goOn = deferred();
    const other = d.db.transaction(async (tx) => {
      await tx.execute(sql`select id from proposals where id = ${s.proposalId} for update`);
      holding.resolve();
      await goOn.promise;
      await tx.execute(sql`update executions set attempts = attempts + 1 where id = ${exeId}`);
    });
    await holding.promise;
    const finished = finish(deps, p!, exeId, 'revert', { ok: true, response: { status: 200 } }, false).then(
      (v) => v,
      (e: unknown) => e,
    );
    await queuedOnALock(d, 'finish queued on the proposal row the other writer holds');
    goOn.resolve();
    // Had finish taken the execution row first, one of the two would die with "deadlock detected".
    await expect(other).resolves.toBeUndefined();
    expect(await finished).toBe(true);
    const [exe] = await d.db.select().from(schema.executions).where(sql`id = ${exeId}`);
    expect(exe).toMatchObject({ status: 'succeeded', attempts: 2 });
  });
});
