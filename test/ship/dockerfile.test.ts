import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { readRootFile } from './support.js';

interface Instruction { op: string; args: string }
interface Stage { base: string; name: string | undefined; steps: Instruction[] }

/** Instructions per stage, with continuation lines joined and comments dropped. */
function stages(): Stage[] {
  const joined = readRootFile('Dockerfile').replace(/\\\n/g, ' ');
  const out: Stage[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      out.push({ base: m?.[1] ?? args, name: m?.[2], steps: [] });
    } else {
      out.at(-1)?.steps.push({ op: op.toUpperCase(), args });
    }
  }
  return out;
}

const all = stages();
const runtime = all.at(-1)!;
const ops = (op: string) => runtime.steps.filter((s) => s.op === op).map((s) => s.args);

describe('Dockerfile', () => {
  it('builds in stages on Node 20 slim', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const s of all) expect(s.base).toBe('node:20-bookworm-slim');
    const build = all.find((s) => s.steps.some((i) => i.op === 'RUN' && /npm run build/.test(i.args)));
    expect(build, 'a stage that compiles').toBeDefined();
    expect(build).not.toBe(runtime);
  });

  it('ships production dependencies and compiled code only, never the sources or dev dependencies', () => {
    const installs = all.flatMap((s) => s.steps).filter((i) => i.op === 'RUN' && /npm ci/.test(i.args));
    const prodInstall = installs.find((i) => /--omit=dev/.test(i.args));
    expect(prodInstall, 'npm ci --omit=dev').toBeDefined();
    const copies = ops('COPY');
    const fromStages = copies.filter((c) => c.startsWith('--from='));
    // node_modules comes only from the stage that installed with --omit=dev.
    const prodStage = all.find((s) => s.steps.some((i) => i === prodInstall))!;
    for (const c of fromStages.filter((x) => /node_modules/.test(x))) expect(c).toContain(`--from=${prodStage.name}`);
    expect(copies.some((c) => /\bsrc\b/.test(c))).toBe(false);
    expect(copies.some((c) => /^\.\s|\s\.\s/.test(c)), 'no COPY of the whole context').toBe(false);
    for (const needed of ['/app/dist', 'bin', 'drizzle', 'package.json']) expect(copies.join('\n')).toContain(needed);
  });

  it('runs as a non-root user with production settings, a data volume and the serve command', () => {
    const users = ops('USER');
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0', '0:0']).not.toContain(users.at(-1));
    const userAt = runtime.steps.findIndex((s) => s.op === 'USER');
    const cmdAt = runtime.steps.findIndex((s) => s.op === 'CMD');
    expect(userAt).toBeLessThan(cmdAt);
    const env = ops('ENV').join(' ');
    expect(env).toMatch(/NODE_ENV=production/);
    expect(env).toMatch(/PORT=8080/);
    expect(env).toMatch(/SRE_DATA_DIR=\/data/);
    expect(ops('VOLUME')).toEqual(['/data']);
    expect(ops('EXPOSE')).toEqual(['8080']);
    expect(JSON.parse(ops('CMD')[0]!)).toEqual(['node', 'bin/sre-agent.js', 'serve']);
  });

  it('copies from the build context only what .dockerignore lets through', () => {
    const allowed = readRootFile('.dockerignore')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    expect(readRootFile('.dockerignore')).toMatch(/^\*$/m);
    const sources = all
      .flatMap((s) => s.steps)
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) expect(allowed, s).toContain(s);
    for (const secret of ['config', 'config/.env', '.data', 'node_modules', '.git']) expect(allowed).not.toContain(secret);
  });

  describe('HEALTHCHECK', () => {
    const line = ops('HEALTHCHECK')[0] ?? '';
    const argv = JSON.parse(line.slice(line.indexOf('CMD') + 3).trim()) as string[];

    /** Runs the health check command as Docker would, against a server answering `status` on /healthz. */
    async function probe(status: number): Promise<{ code: number | null; path: string | undefined }> {
      let seen: string | undefined;
      const server = createServer((req, res) => {
        seen = req.url;
        res.writeHead(req.url === '/healthz' ? status : 404).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      try {
        const child = spawn(process.execPath, argv.slice(1), { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
        const code = await new Promise<number | null>((r) => child.on('exit', r));
        return { code, path: seen };
      } finally {
        server.close();
      }
    }

    it('uses node itself (no curl in the slim image) and probes /healthz on PORT', async () => {
      expect(line).toMatch(/--interval=\S+/);
      expect(argv[0]).toBe('node');
      expect(await probe(200)).toEqual({ code: 0, path: '/healthz' });
    });

    it('reports unhealthy on an error answer', async () => {
      expect((await probe(503)).code).toBe(1);
    });
  });
});
