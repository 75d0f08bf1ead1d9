import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { sleep, waitUntil } from './support.js';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
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
