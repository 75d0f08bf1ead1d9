import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventSchemaFiles } from '../src/domain/event-json-schema.js';

/** Writes docs/schemas/*.schema.json from the zod event schemas; test/docs/schemas.test.ts fails when they drift. */
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'schemas');
const files = eventSchemaFiles();
for (const stale of readdirSync(dir).filter((f) => f.endsWith('.schema.json') && !(f in files))) rmSync(path.join(dir, stale));
for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
process.stdout.write(`wrote ${Object.keys(files).length} schema(s) to docs/schemas/\n`);
