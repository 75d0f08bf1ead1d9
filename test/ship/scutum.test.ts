import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support.js';

const BASH = execFileSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();
// What the script needs besides docker; docker itself is supplied (or withheld) per test.
const TOOLS = ['dirname', 'od', 'tr'];

let work: string;
let toolsDir: string;

/** A copy of the wrapper beside its example env file, so first-use creation happens in a scratch directory. */
function checkout(): string {
  const dir = mkdtempSync(path.join(work, 'repo-'));
  cpSync(path.join(ROOT, 'scutum'), path.join(dir, 'scutum'));
  mkdirSync(path.join(dir, 'config'));
  cpSync(path.join(ROOT, 'config', '.env.example'), path.join(dir, 'config', '.env.example'));
  return dir;
}

/** A fake `docker` whose behaviour is a POSIX sh body; it appends its arguments to $dir/docker.log. */
function fakeDocker(body: string): string {
  const dir = mkdtempSync(path.join(work, 'docker-'));
  const file = path.join(dir, 'docker');
  writeFileSync(file, `#!/bin/sh\necho "$*" >> "${dir}/docker.log"\n${body}\n`);
  chmodSync(file, 0o755);
  return dir;
}

function run(repo: string, args: string[], dockerDir?: string) {
  const PATH = [dockerDir, toolsDir].filter(Boolean).join(':');
  // Run from elsewhere: the wrapper must find compose.yml and config/ beside itself.
  const r = spawnSync(BASH, [path.join(repo, 'scutum'), ...args], { cwd: work, env: { PATH, HOME: work }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const calls = (dockerDir: string) =>
  existsSync(path.join(dockerDir, 'docker.log')) ? readFileSync(path.join(dockerDir, 'docker.log'), 'utf8').trim().split('\n') : [];

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'sre-scutum-'));
  toolsDir = path.join(work, 'bin');
  mkdirSync(toolsDir);
  for (const t of TOOLS) symlinkSync(execFileSync('bash', ['-c', `command -v ${t}`], { encoding: 'utf8' }).trim(), path.join(toolsDir, t));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('./scutum', () => {
  it('is valid bash and executable', () => {
    expect(spawnSync(BASH, ['-n', path.join(ROOT, 'scutum')]).status).toBe(0);
    expect(statSync(path.join(ROOT, 'scutum')).mode & 0o111).not.toBe(0);
  });

  it('explains itself with --help', () => {
    const r = run(checkout(), ['--help']);
    expect(r.code).toBe(0);
    for (const verb of ['up', 'down', 'ps', 'logs', 'stop', '--profile sre|full']) expect(r.stdout).toContain(verb);
  });

  it('says Docker is missing, exits non-zero and creates nothing', () => {
    const repo = checkout();
    const r = run(repo, ['up', '--profile', 'sre']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Docker is not installed/);
    expect(existsSync(path.join(repo, 'config', '.env'))).toBe(false);
  });

  it('says the Compose plugin is missing', () => {
    const docker = fakeDocker('[ "$1" = compose ] && { echo "docker: unknown command: docker compose" >&2; exit 1; }\nexit 0');
    const r = run(checkout(), ['ps'], docker);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Compose plugin is missing/);
  });

  it('says the engine is not running', () => {
    const docker = fakeDocker('[ "$1" = info ] && { echo "Cannot connect to the Docker daemon" >&2; exit 1; }\nexit 0');
    const r = run(checkout(), ['ps'], docker);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/engine is not running/);
  });

  it('maps each verb onto docker compose with config/.env, creating it on first use', () => {
    const repo = checkout();
    const docker = fakeDocker('exit 0');
    const env = path.join(repo, 'config', '.env');

    const up = run(repo, ['up', '--profile', 'full'], docker);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/created config\/\.env/);
    const created = readFileSync(env, 'utf8');
    expect(created).toMatch(/^POSTGRES_PASSWORD=[0-9a-f]{48}$/m);
    expect(statSync(env).mode & 0o077).toBe(0);

    writeFileSync(env, `${created}SLACK_BOT_TOKEN=kept\n`);
    expect(run(repo, ['up'], docker).code).toBe(0);
    expect(run(repo, ['ps'], docker).code).toBe(0);
    expect(run(repo, ['logs', 'sre-agent'], docker).code).toBe(0);
    expect(run(repo, ['stop', 'sre-agent'], docker).code).toBe(0);
    expect(run(repo, ['down'], docker).code).toBe(0);
    expect(readFileSync(env, 'utf8')).toContain('SLACK_BOT_TOKEN=kept');

    const composeCalls = calls(docker).filter((c) => c.startsWith('compose --env-file'));
    const all = '--env-file config/.env --profile sre --profile full';
    expect(composeCalls).toEqual([
      'compose --env-file config/.env --profile full up --detach --build --wait',
      'compose --env-file config/.env --profile sre up --detach --build --wait',
      `compose ${all} ps`,
      `compose ${all} logs --follow --tail 200 sre-agent`,
      `compose ${all} stop sre-agent`,
      `compose ${all} down`,
    ]);
  });

  it('refuses bad input with usage and exit 2, without calling docker', () => {
    const docker = fakeDocker('exit 0');
    const repo = checkout();
    for (const args of [['up', '--profile', 'prod'], ['up', '--profile'], ['logs'], ['stop', 'a', 'b'], ['deploy'], []]) {
      const r = run(repo, args, docker);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/Usage: \.\/scutum/);
    }
    expect(calls(docker)).toEqual([]);
  });
});
