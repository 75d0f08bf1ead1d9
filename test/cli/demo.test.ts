import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { loadConfig } from '../../src/config.js';
import { runDemo } from '../../src/demo.js';
import { createAgent } from '../../src/main.js';
import { ALICE, get } from '../support/agent.js';
import { workdayClock } from '../support/clock.js';
import { memoryIo } from './io.js';

describe('sre-agent demo into the data folder, then the agent on it', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sre-demo-'));
    env = { NODE_ENV: 'test', PORT: '0', SRE_DATA_DIR: dir, SRE_API_TOKENS: `alice:${ALICE}` };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps its incidents, proposals, decisions and audit trail for the next npm start', async () => {
    const lines: string[] = [];
    expect(await runDemo(loadConfig(env), (s) => lines.push(s), { target: 'configured', clock: workdayClock()})).toBe(0);
    const transcript = lines.join('\n');
    expect(transcript).toContain(`kept in the embedded database in ${dir}`);
    const shown = [...transcript.matchAll(/proposal (prp_\S+):/g)].map((m) => m[1]!);
    expect(shown.length).toBeGreaterThanOrEqual(4);

    const agent = await createAgent(loadConfig(env), { loopMs: 0, logger: pino({ level: 'silent' }), clock: workdayClock()});
    const port = await agent.start();
    try {
      const base = `http://127.0.0.1:${port}`;
      const { body } = await get(base, '/v1/proposals?limit=100', ALICE);
      const ids = (body.proposals as { id: string }[]).map((p) => p.id);
      expect(ids.sort()).toEqual([...shown].sort());
      expect((body.proposals as { decided_by: string | null }[]).some((p) => p.decided_by === 'demo-operator')).toBe(true);
      const csv = await fetch(`${base}/v1/audit.csv`, { headers: { authorization: `Bearer ${ALICE}` } }).then((r) => r.text());
      expect(csv).toContain('proposal.created');
      expect(csv).toContain('demo-operator');
    } finally {
      await agent.stop();
    }
    // The whole demo (300-event storm included) on an on-disk PGlite, on a shared 2-core machine.
  }, 300_000);

  it('refuses, changing nothing, while an agent serves that folder; a second run says where the first one is', async () => {
    const holder = spawn('sleep', ['30']);
    try {
      mkdirSync(path.join(dir, 'pglite'), { recursive: true });
      writeFileSync(path.join(dir, 'pglite', 'agent.pid'), String(holder.pid));
      const refused = memoryIo(env, false);
      expect(await main(['demo'], refused)).toBe(1);
      expect(refused.stderrText()).toContain(`holds the embedded database in ${dir}`);
      expect(refused.stdoutText()).toBe('');
    } finally {
      holder.kill();
      rmSync(path.join(dir, 'pglite', 'agent.pid'), { force: true });
    }
    const again = memoryIo(env, false);
    expect(await main(['demo'], again)).toBe(0);
    expect(again.stdoutText()).toContain('The demo already ran into');
    // The demo's own hold on the folder ends with it.
    expect(existsSync(path.join(dir, 'pglite', 'agent.pid'))).toBe(false);
    const both = memoryIo(env, false);
    expect(await main(['demo', '--keep', '--memory'], both)).toBe(2);
    expect(both.stderrText()).toContain('not both');
  }, 120_000);
});
