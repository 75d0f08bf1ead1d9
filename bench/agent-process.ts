import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { sleep, waitUntil } from './support.js';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    newest = Math.max(newest, e.isDirectory() ? newestMtimeMs(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ when it is missing or older than any file in src/, so the parts that run the
 * compiled agent measure the code in the tree (after a merge, not the last build). Returns whether it built.
 */
export function ensureBuilt(): boolean {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const cli = `${root}dist/cli.js`;
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestMtimeMs(`${root}src`)) return false;
  const tsc = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`npm run build failed: ${tsc.stdout}${tsc.stderr}`);
  return true;
}

export interface AgentProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** The last few kB the process wrote (JSON log lines), for error messages. */
  tail(): string;
  /** How many log lines (warn and above, at the default LOG_LEVEL) carried this `msg`. */
  logged(msg: string): number;
  /** Resolves with the signal or code the process ended with. */
  exited: Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export const INGEST_TOKEN = 'bench-ingest-token-0000000000000000';

/**
 * The compiled agent as shipped (`node bin/sre-agent.js serve`, needs `dist/`), in a process of
 * its own with only the environment given here (plus PATH, PORT and the ingest token); resolves
 * once `/readyz` answers 200.
 */
export async function startAgentProcess(env: Record<string, string>, readyTimeoutMs = 60_000): Promise<AgentProcess> {
  if (!existsSync(new URL('../dist/cli.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` first');
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/sre-agent.js', 'serve'], {
    cwd: new URL('..', import.meta.url),
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', LOG_LEVEL: 'warn', PORT: String(port), SRE_INGEST_TOKEN: INGEST_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let partial = '';
  const messages = new Map<string, number>();
  for (const s of [child.stdout, child.stderr]) s?.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-4000)));
  child.stdout?.on('data', (b: Buffer) => {
    const lines = (partial + b.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const msg = (JSON.parse(line) as { msg?: unknown }).msg;
        if (typeof msg === 'string') messages.set(msg, (messages.get(msg) ?? 0) + 1);
      } catch {
        // Not a log line.
      }
    }
  });
  const exited = new Promise<string>((res) => child.on('exit', (code, signal) => res(signal ?? String(code))));
  const url = `http://127.0.0.1:${port}`;
  const agent: AgentProcess = {
    child,
    port,
    url,
    tail: () => tail,
    logged: (msg) => messages.get(msg) ?? 0,
    exited,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exited, sleep(graceMs).then(() => 'timeout')]);
      if (done === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  let last = 'no answer';
  const ready = await waitUntil(async () => {
    if (child.exitCode !== null) throw new Error(`the agent exited ${child.exitCode}: ${tail}`);
    const res = await fetch(`${url}/readyz`).catch((e: unknown) => String(e));
    if (typeof res === 'string') last = res;
    else if (res.status !== 200) last = `${res.status} ${await res.text()}`;
    return typeof res !== 'string' && res.status === 200;
  }, readyTimeoutMs, 250);
  if (!ready) {
    await agent.stop(1_000);
    throw new Error(`the agent never became ready (last: ${last}): ${tail}`);
  }
  return agent;
}
