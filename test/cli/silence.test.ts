import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { queryRows } from '../../src/db/client.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { memoryIo } from './io.js';

/** Issue 20 on the command line: `sre-agent silence add | list | end`. */
describe('sre-agent silence', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await freshPostgres();
  });
  afterEach(async () => {
    await db.dispose();
  });
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const io = memoryIo({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...env }, false);
    const code = await main(args, io);
    return { code, out: io.stdoutText(), err: io.stderrText() };
  };
  const stored = () => queryRows<{ id: string; created_by: string; ended_by: string | null }>(db.db, sql`select id, created_by, ended_by from silences`);

  it('adds, lists and ends a silence, each change audited', async () => {
    const added = await run(['silence', 'add', 'provider=openai', 'type=provider.*', '--for', '2h', '--reason', 'migration', '--as', 'alice']);
    expect(added).toMatchObject({ code: 0, out: expect.stringMatching(/^sil_\S+ {2}provider=openai type=provider\.\* {2}.* active {2}by alice: migration/) });
    const [row] = await stored();
    const listed = await run(['silence', 'list'], { SRE_MAINTENANCE: 'sun 02:00-04:00 provider=azure-openai' });
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(row!.id);
    expect(listed.out).toMatch(/mnt_1 {2}provider=azure-openai {2}every sun 02:00-04:00, next \S+ – \S+/);
    const json = JSON.parse((await run(['silence', 'list', '--format', 'json'])).out);
    expect(json).toEqual([expect.objectContaining({ id: row!.id, matchers: { provider: 'openai', type: 'provider.*' }, created_by: 'alice' })]);
    const ended = await run(['silence', 'end', row!.id, '--as', 'bob']);
    expect(ended).toMatchObject({ code: 0, out: expect.stringContaining('ended by bob') });
    expect(await run(['silence', 'end', row!.id, '--as', 'bob'])).toMatchObject({ code: 1, err: expect.stringContaining('already ended by bob') });
    const kinds = await queryRows<{ kind: string; actor: string }>(db.db, sql`select kind, actor from sre_actions where kind like 'silence.%' order by seq`);
    expect(kinds).toEqual([
      { kind: 'silence.created', actor: 'alice' },
      { kind: 'silence.ended', actor: 'bob' },
    ]);
  });

  it('refuses bad input by name and stores nothing', async () => {
    const cases: [string[], number, RegExp][] = [
      [['silence', 'add', 'provider=openai', '--for', '2h', '--reason', 'x'], 2, /needs --as NAME/],
      [['silence', 'add', 'provider=openai', '--reason', 'x', '--as', 'a'], 2, /needs --for DURATION/],
      [['silence', 'add', 'provider=openai', '--for', 'soon', '--reason', 'x', '--as', 'a'], 2, /"soon" is not a duration/],
      [['silence', 'add', 'provider=openai', '--for', '2h', '--as', 'a'], 2, /needs --reason TEXT/],
      [['silence', 'add', 'openai', '--for', '2h', '--reason', 'x', '--as', 'a'], 2, /expected key=value/],
      [['silence', 'add', '--for', '2h', '--reason', 'x', '--as', 'a'], 1, /at least one matcher/],
      [['silence', 'add', 'region=eu', '--for', '2h', '--reason', 'x', '--as', 'a'], 1, /matchers\.region: unknown matcher key/],
      [['silence', 'add', 'provider=openai', '--for', '8d', '--reason', 'x', '--as', 'a'], 1, /at most 7 days ahead/],
      [['silence', 'add', 'provider=openai', '--until', '2020-01-01T00:00:00Z', '--reason', 'x', '--as', 'a'], 1, /is in the past/],
      [['silence', 'end', 'sil_nope', '--as', 'a'], 1, /silence sil_nope not found/],
      [['silence', 'stop'], 2, /expected add, list or end/],
    ];
    for (const [args, code, problem] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.err, args.join(' ')).toMatch(problem);
    }
    expect(await stored()).toEqual([]);
  });
});
