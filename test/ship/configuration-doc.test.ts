import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_KEYS } from '../../src/config.js';
import { COMPOSE_SECTION, ROOT, readEnvExample, type EnvEntry } from './support.js';

/**
 * docs/configuration.md is generated from config/.env.example (whose defaults and completeness
 * env-example.test.ts checks against src/config.ts), so the page cannot drift from the code.
 * Regenerate: UPDATE_DOCS=1 npx vitest run test/ship/configuration-doc.test.ts
 */

const DOC = `${ROOT}docs/configuration.md`;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function row(e: EnvEntry): string {
  const secret = e.doc.startsWith('secret: ');
  const meaning = secret ? e.doc.slice('secret: '.length) : e.doc;
  const fallback = e.commented ? `\`${e.value}\`` : 'unset';
  return `| \`${e.key}\` | ${fallback} | ${secret ? '**secret** · ' : ''}${cell(meaning)} |`;
}

export function configurationDoc(): string {
  const entries = readEnvExample();
  const sections = [...new Set(entries.map((e) => e.section))];
  const parts = [
    '# Configuration',
    '',
    '<!-- Generated from config/.env.example by test/ship/configuration-doc.test.ts: edit that file, then run',
    '     UPDATE_DOCS=1 npx vitest run test/ship/configuration-doc.test.ts -->',
    '',
    'The agent reads its settings from the environment, and from `config/.env` when that file exists',
    '(the environment wins). `config/.env.example` is a complete, commented copy to start from. A bad',
    'value stops the process with every problem listed; settings that do nothing as configured (Slack',
    'without a channel or approvers, email recipients without SendGrid, …) are named as warnings in',
    'the first log lines, next to the embedded defaults in force.',
    '',
    '"unset" means the variable is empty or absent; what the agent does then is in the meaning column.',
    'Durations are written `90s`, `15m`, `24h`, `7d`; lists are comma-separated.',
  ];
  for (const section of sections) {
    parts.push('', `## ${section}`, '', '| variable | default | meaning |', '| --- | --- | --- |');
    for (const e of entries.filter((x) => x.section === section)) parts.push(row(e));
  }
  return `${parts.join('\n')}\n`;
}

describe('docs/configuration.md', () => {
  it('is generated from config/.env.example and up to date', () => {
    const want = configurationDoc();
    if (process.env.UPDATE_DOCS === '1') writeFileSync(DOC, want);
    expect(readFileSync(DOC, 'utf8'), 'docs/configuration.md is stale: UPDATE_DOCS=1 npx vitest run test/ship/configuration-doc.test.ts').toBe(want);
  });

  it('has one row for every variable the agent reads, and marks the compose-only ones', () => {
    const doc = readFileSync(DOC, 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!);
    const composeAt = doc.indexOf(`## ${COMPOSE_SECTION}`);
    expect(composeAt).toBeGreaterThan(0);
    const agentRows = [...doc.slice(0, composeAt).matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!);
    expect([...agentRows].sort()).toEqual([...ENV_KEYS].sort());
    expect(new Set(rows).size).toBe(rows.length);
  });
});
