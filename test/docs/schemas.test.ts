import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventSchemaFiles } from '../../src/domain/event-json-schema.js';
import { EVENT_TYPES } from '../../src/domain/events.js';

const DIR = path.join(import.meta.dirname, '..', '..', 'docs', 'schemas');
const FIX = 'docs/schemas/ and the zod schemas in src/domain/events.ts differ: run `npm run docs:schemas` and commit docs/schemas/';

describe('docs/schemas: JSON Schema for the four events', () => {
  const generated = eventSchemaFiles();

  it('has one file per event type and nothing else', () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()).toEqual(EVENT_TYPES.map((t) => `${t}.schema.json`).sort());
  });

  it.each(Object.keys(generated))('%s is what the zod schema generates today', (name) => {
    expect(readFileSync(path.join(DIR, name), 'utf8'), FIX).toBe(generated[name]);
  });

  it('each schema requires what the parser requires and fixes its type', () => {
    for (const t of EVENT_TYPES) {
      const s = JSON.parse(generated[`${t}.schema.json`]!);
      expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(s.required).toEqual(['id', 'occurred_at', 'source', 'type', 'data']);
      expect(s.properties.type).toEqual({ type: 'string', const: t });
    }
    const unhealthy = JSON.parse(generated['provider.unhealthy.schema.json']!);
    expect(unhealthy.properties.data.required).toEqual(['provider', 'error_rate', 'requests', 'window_seconds']);
    expect(unhealthy.properties.data.properties.error_rate).toEqual({ type: 'number', minimum: 0, maximum: 1 });
  });

  it('docs/events.md links every schema file', () => {
    const doc = readFileSync(path.join(DIR, '..', 'events.md'), 'utf8');
    for (const name of Object.keys(generated)) expect(doc).toContain(`(schemas/${name})`);
  });
});
