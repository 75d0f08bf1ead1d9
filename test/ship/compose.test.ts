import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_KEYS, parseDuration } from '../../src/config.js';
import { COMPOSE_SECTION, ROOT, readEnvExample, readRootFile } from './support.js';

interface Service {
  image?: string;
  build?: unknown;
  profiles?: string[];
  restart?: string;
  environment?: Record<string, string>;
  env_file?: (string | { path: string })[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
  stop_grace_period?: string;
}

const text = readRootFile('compose.yml');
const compose = parse(text) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const svc = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`compose.yml has no service ${name}`);
  return s;
};

describe('compose.yml', () => {
  it('has postgres, redis and sre-agent, all in both the sre and the full profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgres', 'redis', 'sre-agent']);
    for (const name of Object.keys(compose.services)) {
      expect(svc(name).profiles?.slice().sort(), name).toEqual(['full', 'sre']);
      expect(svc(name).restart, name).toBe('unless-stopped');
    }
    expect(svc('postgres').image).toBe('postgres:15');
    expect(svc('redis').image).toBe('redis:7');
    expect(svc('sre-agent').build).toBe('.');
  });

  it('health-checks the databases and starts the agent only once they are healthy', () => {
    expect(svc('postgres').healthcheck?.test.join(' ')).toMatch(/pg_isready/);
    expect(svc('redis').healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(svc('sre-agent').depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('configures the agent from config/.env, pointed at the compose postgres and redis', () => {
    const agent = svc('sre-agent');
    expect(agent.env_file).toEqual(['config/.env']);
    expect(agent.environment?.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
    expect(agent.environment?.REDIS_URL).toBe('redis://redis:6379');
    expect(agent.environment?.SRE_DATA_DIR).toBe('/data');
    expect(agent.ports).toEqual(['${SRE_HTTP_PORT:-8080}:${PORT:-8080}']);
  });

  it('gives the agent time to drain on stop', () => {
    const grace = parseDuration(svc('sre-agent').stop_grace_period ?? '');
    expect(grace).toBeGreaterThanOrEqual(30_000);
  });

  it('keeps data in named volumes', () => {
    const mounts = { postgres: '/var/lib/postgresql/data', redis: '/data', 'sre-agent': '/data' } as const;
    for (const [name, target] of Object.entries(mounts)) {
      const volume = svc(name).volumes?.find((v) => v.endsWith(`:${target}`));
      expect(volume, name).toBeDefined();
      expect(Object.keys(compose.volumes), name).toContain(volume!.split(':')[0]);
    }
  });

  it('interpolates only variables documented in config/.env.example', () => {
    const documented = new Set(readEnvExample().map((e) => e.key));
    const composeOnly = new Set(readEnvExample().filter((e) => e.section === COMPOSE_SECTION).map((e) => e.key));
    const used = new Set([...text.replace(/\$\$/g, '').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(0);
    for (const v of used) expect(documented, v).toContain(v);
    for (const v of composeOnly) expect(used, `${v} is documented as compose-only but compose.yml does not use it`).toContain(v);
    for (const v of composeOnly) expect(ENV_KEYS).not.toContain(v);
  });
});

const composeCli = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!composeCli)('docker compose config (needs the compose plugin, not an engine)', () => {
  it('resolves both profiles with config/.env from the example', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sre-compose-'));
    try {
      cpSync(path.join(ROOT, 'compose.yml'), path.join(dir, 'compose.yml'));
      cpSync(path.join(ROOT, 'config'), path.join(dir, 'config'), { recursive: true, filter: (s) => !s.endsWith('/.env') });
      const example = readRootFile('config/.env.example').replace(/^POSTGRES_PASSWORD=$/m, 'POSTGRES_PASSWORD=abc123');
      writeFileSync(path.join(dir, 'config', '.env'), example);
      for (const profile of ['sre', 'full']) {
        const out = execFileSync('docker', ['compose', '--env-file', 'config/.env', '--profile', profile, 'config', '--format', 'json'], {
          cwd: dir,
          encoding: 'utf8',
        });
        const resolved = JSON.parse(out) as { services: Record<string, { environment: Record<string, string> }> };
        expect(Object.keys(resolved.services).sort()).toEqual(['postgres', 'redis', 'sre-agent']);
        expect(resolved.services['sre-agent']?.environment.DATABASE_URL).toBe('postgres://sre:abc123@postgres:5432/sre');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
