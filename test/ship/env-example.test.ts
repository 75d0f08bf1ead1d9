import { describe, expect, it } from 'vitest';
import { ENV_KEYS, loadConfig } from '../../src/config.js';
import { COMPOSE_SECTION, readEnvExample } from './support.js';

const entries = readEnvExample();

describe('config/.env.example', () => {
  it('lists every variable the agent reads, once, and nothing else outside the compose-only section', () => {
    const keys = entries.map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);
    const agentKeys = entries.filter((e) => e.section !== COMPOSE_SECTION).map((e) => e.key);
    expect([...agentKeys].sort()).toEqual([...ENV_KEYS].sort());
    const composeOnly = entries.filter((e) => e.section === COMPOSE_SECTION).map((e) => e.key);
    expect(composeOnly.length).toBeGreaterThan(0);
    for (const k of composeOnly) expect(ENV_KEYS, k).not.toContain(k);
  });

  it('gives every variable a one-line meaning', () => {
    for (const e of entries) expect(e.doc.length, e.key).toBeGreaterThan(10);
  });

  it('keeps secrets and every active line empty, so a copied file changes nothing by itself', () => {
    for (const e of entries.filter((x) => !x.commented)) expect(e.value, e.key).toBe('');
    for (const e of entries.filter((x) => x.doc.startsWith('secret:'))) expect(e.commented, e.key).toBe(false);
  });

  it('is a valid configuration as copied, equal to the built-in defaults', () => {
    const active = Object.fromEntries(entries.filter((e) => !e.commented && e.section !== COMPOSE_SECTION).map((e) => [e.key, e.value]));
    expect(loadConfig(active)).toEqual(loadConfig({}));
  });

  it('documents the real default of each commented variable', () => {
    const defaults = entries.filter((e) => e.commented && e.section !== COMPOSE_SECTION);
    expect(defaults.length).toBeGreaterThan(10);
    const builtIn = loadConfig({});
    for (const e of defaults) expect(loadConfig({ [e.key]: e.value }), e.key).toEqual(builtIn);
  });
});
