import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from './support.js';

const pages = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

it('README.md and docs/ point only at files inside the repository, and those exist', () => {
  expect(pages.length).toBeGreaterThan(3);
  for (const page of pages) {
    const text = readFileSync(path.join(ROOT, page), 'utf8');
    expect(text, page).not.toMatch(/\.\.\/shared|\/work\//);
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!) || target!.startsWith('#')) continue;
      const file = path.resolve(ROOT, path.dirname(page), target!.split('#')[0]!);
      expect(file.startsWith(ROOT), `${page} links outside the repository: ${target}`).toBe(true);
      expect(existsSync(file), `${page} links to a missing file: ${target}`).toBe(true);
    }
  }
});
