import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, where Dockerfile, compose.yml, scutum and config/ live. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function readRootFile(name: string): string {
  return readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8');
}

export const COMPOSE_SECTION = 'Compose only (read by compose.yml, not by the agent)';

/**
 * config/.env.example convention: `NAME=` is an unset variable (secrets stay empty), `#NAME=value`
 * documents a default, `# text` on the line before explains the variable.
 */
export interface EnvEntry { key: string; value: string; commented: boolean; doc: string; section: string }

export function readEnvExample(): EnvEntry[] {
  const lines = readRootFile('config/.env.example').split('\n');
  const entries: EnvEntry[] = [];
  let section = '';
  lines.forEach((line, i) => {
    const header = /^# --- (.+?) -+$/.exec(line);
    if (header) section = header[1]!;
    const m = /^(#?)([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) return;
    const prev = lines[i - 1] ?? '';
    entries.push({ key: m[2]!, value: m[3]!, commented: m[1] === '#', doc: prev.startsWith('# ') ? prev.slice(2) : '', section });
  });
  return entries;
}

/** Reads one sample from the Prometheus text format: name plus exact label set (any order). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[k!] = v!;
    if (JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(labels).sort())) return Number(m[3]);
  }
  return undefined;
}
