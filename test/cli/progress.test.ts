import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { createProgress } from '../../src/progress.js';
import { unhealthy } from '../support/agent.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { memoryIo } from './io.js';

const CLEAR = '\r\u001b[2K';

describe('progress of long CLI work', () => {
  it('draws a bounded number of redraws with count, share, rate and time left on a terminal, and nothing off one', () => {
    let t = 0;
    const drawn: string[] = [];
    const p = createProgress({ label: 'storing', unit: 'events', total: 10_000, tty: true, write: (s) => drawn.push(s), now: () => t, everyMs: 200 });
    for (let done = 0; done <= 10_000; done += 10) {
      t += 1;
      p.update(done);
    }
    p.finish('10,000 events in 1.0 s');
    // A thousand updates over one second at one redraw per 200 ms.
    expect(drawn.length).toBeLessThanOrEqual(8);
    expect(drawn[1]).toBe(`${CLEAR}storing: 2,000 of 10,000 events · 20 % · 9,950/s · about 1 s left`);
    expect(drawn.at(-1)).toBe('10,000 events in 1.0 s\n');

    const piped: string[] = [];
    const q = createProgress({ label: 'storing', unit: 'events', total: 10, tty: false, write: (s) => piped.push(s) });
    q.update(5);
    q.finish('done');
    expect(piped).toEqual([]);
  });
});

describe('sre-agent ingest, audit export and audit verify, piped and on a terminal', () => {
  let d: TestDatabase;
  let dir: string;
  let file: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    d = await freshPostgres();
    env = { NODE_ENV: 'test', DATABASE_URL: d.url };
    dir = mkdtempSync(path.join(tmpdir(), 'sre-cli-'));
    file = path.join(dir, 'events.jsonl');
    const events = Array.from({ length: 1200 }, (_, i) => unhealthy(`provider-${i % 7}`));
    writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await d.dispose();
  });

  it('piped: one machine-readable line on stdout for ingest, pure CSV for export, nothing drawn on stderr', async () => {
    const ingest = memoryIo(env, false);
    expect(await main(['ingest', file], ingest)).toBe(0);
    expect(ingest.stdoutText()).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}: 1200 event\\(s\\) stored, 0 duplicate\\(s\\), 7 incident\\(s\\) opened: `));
    expect(ingest.stdoutText().trim().split('\n')).toHaveLength(1);
    expect(ingest.stderrText()).toBe('');

    const exported = memoryIo(env, false);
    expect(await main(['audit', 'export'], exported)).toBe(0);
    const csv = exported.stdoutText().trim().split(/\r?\n/);
    expect(csv[0]).toMatch(/^seq,/);
    expect(csv.length).toBeGreaterThan(7);
    expect(exported.stderrText()).toBe('');

    const verified = memoryIo(env, false);
    expect(await main(['audit', 'verify'], verified)).toBe(0);
    expect(verified.stdoutText()).toMatch(/^audit trail intact: \d+ row\(s\) verified/);
    expect(verified.stderrText()).toBe('');
  });

  it('on a terminal: progress and a summary on stderr, the same results on stdout', async () => {
    const again = path.join(dir, 'again.jsonl');
    writeFileSync(again, Array.from({ length: 600 }, (_, i) => JSON.stringify(unhealthy(`other-${i % 3}`))).join('\n'));
    const ingest = memoryIo(env, true);
    expect(await main(['ingest', again], ingest)).toBe(0);
    expect(ingest.stderrText()).toContain(`${CLEAR}storing ${again}: `);
    expect(ingest.stderrText()).toMatch(/600 events in \d+\.\d s\n$/);
    expect(ingest.stdoutText()).toContain('600 event(s) stored');

    const exported = memoryIo(env, true);
    expect(await main(['audit', 'export'], exported)).toBe(0);
    const rows = exported.stdoutText().trim().split(/\r?\n/).length - 1;
    expect(exported.stderrText()).toMatch(new RegExp(`exported ${rows} row\\(s\\), \\d+\\.\\d MB in \\d+\\.\\d s\\n$`));
    expect(exported.stdoutText()).not.toContain('\u001b');

    const verified = memoryIo(env, true);
    expect(await main(['audit', 'verify'], verified)).toBe(0);
    expect(verified.stderrText()).toContain(`${CLEAR}verifying the audit trail: `);
    expect(verified.stdoutText()).toMatch(/^audit trail intact/);
  });
});
