import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layering of ../shared/ARCHITECTURE.md as a test (issue 22): no import cycle between files,
 * each folder imports only the folders its row names, and adapters reach `proposals/` only
 * through its surface, `proposals/index.ts`. Imports are read by parsing, type-only ones included
 * (a cycle of types still ties two files together for a reader).
 */

const SRC = path.resolve(import.meta.dirname, '../../src');

/** Leaf modules that any folder may use: time, metrics, logging, and traces (src/telemetry/, which imports only the clock). */
const SHARED = ['clock', 'metrics', 'logger', 'telemetry'];

/** Folder → the folders it may import (besides itself, `domain/` and SHARED). Mirrors ARCHITECTURE.md's module table. */
const MAY_IMPORT: Record<string, readonly string[] | 'all'> = {
  domain: [],
  db: [],
  audit: ['db'],
  actions: [],
  agent: ['actions'],
  jobs: ['db'],
  silences: ['db', 'audit', 'jobs'],
  proposals: ['db', 'audit', 'agent', 'actions', 'jobs', 'silences'],
  ingest: ['db', 'audit', 'proposals', 'jobs', 'silences'],
  slack: ['proposals', 'silences'],
  notify: ['db', 'audit', 'slack', 'jobs', 'actions', 'proposals'],
  web: ['proposals', 'ingest', 'audit', 'silences'],
  config: [],
  main: 'all',
  cli: 'all',
  demo: 'all',
  progress: [],
  ...Object.fromEntries(SHARED.map((s) => [s, ['db']])),
  telemetry: [],
};

/** Folders outside proposals/ that are adapters: they see proposals/ only through index.ts. */
const ADAPTERS = new Set(['slack', 'notify', 'web', 'ingest', 'cli', 'main', 'demo']);

/** Service folders with a public surface (`index.ts`) that adapters and other services go through. */
const SURFACES = ['proposals', 'silences'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

function importsOf(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const out: string[] = [];
  for (const s of sf.statements) {
    const spec = (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) ? s.moduleSpecifier.text : undefined;
    if (spec?.startsWith('.')) out.push(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  return out;
}

const folderOf = (file: string) => path.relative(SRC, file).split(path.sep)[0]!.replace(/\.ts$/, '');
const rel = (file: string) => path.relative(SRC, file);

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f).filter((d) => files.includes(d))]));

describe('the import graph of src/', () => {
  it('has no cycle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const cycles: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(' → '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('keeps every folder to the folders its row in ARCHITECTURE.md names', () => {
    const wrong: string[] = [];
    for (const [f, deps] of graph) {
      const from = folderOf(f);
      const allowed = MAY_IMPORT[from];
      if (allowed === undefined) {
        wrong.push(`${rel(f)}: src/${from} has no row in the layering table`);
        continue;
      }
      for (const d of deps) {
        const to = folderOf(d);
        if (to === from || allowed === 'all' || (from !== 'domain' && to === 'domain') || SHARED.includes(to) || allowed.includes(to)) continue;
        wrong.push(`${rel(f)} imports ${rel(d)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lets adapters reach a service (proposals/, silences/) only through its index.ts', () => {
    const wrong = [...graph].flatMap(([f, deps]) =>
      deps.filter((d) => SURFACES.includes(folderOf(d)) && folderOf(d) !== folderOf(f) && (ADAPTERS.has(folderOf(f)) || SURFACES.includes(folderOf(f))) && d !== path.join(SRC, folderOf(d), 'index.ts')).map((d) => `${rel(f)} imports ${rel(d)}`),
    );
    expect(wrong).toEqual([]);
  });

  it('keeps domain/ pure: no I/O module, no clock', () => {
    const impure = /^(node:)?(fs|net|http|https|child_process|timers)(\/|$)|^(postgres|redis|pino|@slack\/bolt)$/;
    const wrong: string[] = [];
    for (const f of files.filter((x) => folderOf(x) === 'domain')) {
      const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, false);
      for (const s of sf.statements) {
        if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier)) continue;
        const spec = s.moduleSpecifier.text;
        if (impure.test(spec) || spec.endsWith('/clock.js')) wrong.push(`${rel(f)} imports ${spec}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
