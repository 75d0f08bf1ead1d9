import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { describe, expect } from 'vitest';
import { connectPostgres, preparing, schema } from '../../src/db/client.js';
import { drizzle } from 'drizzle-orm/postgres-js';
import { pgTest } from '../support/fixtures.js';

/**
 * drizzle's queries go to postgres.js prepared (db/client.ts `preparing`): one round trip each
 * instead of a describe and then the query. Seen from the server: the statements a connection
 * keeps (pg_prepared_statements; postgres.js' own look-up of array types aside).
 */
const prepared = (ex: { execute: (q: ReturnType<typeof sql>) => Promise<unknown> }) =>
  ex.execute(sql`select statement from pg_prepared_statements where statement not like '%pg_prepared_statements%' and statement not like '%pg_catalog%' order by prepare_time`) as Promise<{ statement: string }[]>;

describe('every parameterised query is prepared', () => {
  pgTest('on the pool and inside a transaction; the same text is prepared once a connection', async ({ db }) => {
    const one = connectPostgres(db.url, { max: 1 });
    try {
      for (let i = 0; i < 3; i++) await one.db.select().from(schema.agentSwitch).where(eq(schema.agentSwitch.id, `switch-${i}`));
      await one.db.transaction(async (tx) => {
        await tx.select().from(schema.incidents).where(eq(schema.incidents.id, 'inc_x'));
        expect((await prepared(tx)).map((r) => r.statement)).toEqual([expect.stringContaining('"agent_switch"'), expect.stringContaining('"incidents"')]);
      });
    } finally {
      await one.close();
    }
  });

  pgTest('at most maxTexts distinct texts are prepared; the rest still run, unprepared', async ({ db }) => {
    const client = postgres(db.url, { max: 1, onnotice: () => {} });
    const d = drizzle(preparing(client, new Set(), 2), { schema });
    try {
      const ids = [['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'c', 'd']];
      for (const list of ids) expect(await d.select().from(schema.incidents).where(sql`${schema.incidents.id} in ${list}`)).toEqual([]);
      expect(await prepared(d)).toHaveLength(2);
    } finally {
      await client.end();
    }
  });
});
