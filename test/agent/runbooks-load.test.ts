import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadRunbooks, RunbookError } from '../../src/agent/runbooks/index.js';

/** Runbooks are validated at start; each bad input names its file and line (issue 19, "Bad input"). */

function dir(files: Record<string, string | Buffer>): string {
  const d = mkdtempSync(path.join(tmpdir(), 'runbooks-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, name)), { recursive: true });
    writeFileSync(path.join(d, name), body);
  }
  return d;
}

function problemsOf(files: Record<string, string | Buffer>): { d: string; lines: string[] } {
  const d = dir(files);
  try {
    loadRunbooks(d);
  } catch (e) {
    expect(e).toBeInstanceOf(RunbookError);
    return { d, lines: (e as RunbookError).problems.map((p) => `${path.relative(d, p.file)}:${p.line}: ${p.message}`) };
  }
  throw new Error('expected the runbooks to be refused');
}

const GOOD = `---
match: { type: provider.unhealthy, provider: azure-openai }   # also model_group, team, sla_id, failure
prefer: [reroute_model_group, page_oncall]                     # action ids, in order
never: [circuit_break_provider]
---
Free text for people and for Claude.
`;

describe('loadRunbooks', () => {
  it("loads CONTRACT.md's example exactly, with its relative path and the SHA-256 of its bytes", () => {
    const d = dir({ 'azure.md': GOOD, 'notes.txt': 'not a runbook' });
    const [rb, ...rest] = loadRunbooks(d);
    expect(rest).toEqual([]);
    expect(rb).toEqual({
      path: 'azure.md',
      sha256: createHash('sha256').update(GOOD).digest('hex'),
      match: { type: 'provider.unhealthy', provider: 'azure-openai' },
      prefer: ['reroute_model_group', 'page_oncall'],
      never: ['circuit_break_provider'],
      text: 'Free text for people and for Claude.',
    });
  });

  it('accepts block style, quoted values and comments, and reads subfolders in path order', () => {
    const block = `---\n# who this is for\nmatch:\n  type: sla.violation\n  team: "t-checkout"\nprefer:\n  - raise_rate_limit\nnever: []\n---\nRaise first.\n`;
    const rbs = loadRunbooks(dir({ 'b/sla.md': block, 'a.md': GOOD }));
    expect(rbs.map((r) => r.path)).toEqual(['a.md', 'b/sla.md']);
    expect(rbs[1]).toMatchObject({ match: { type: 'sla.violation', team: 't-checkout' }, prefer: ['raise_rate_limit'], never: [] });
  });

  it('loads none when SRE_RUNBOOK_DIR is unset', () => {
    expect(loadRunbooks(undefined)).toEqual([]);
  });

  it('refuses an action outside the library, naming the file and the line', () => {
    const { lines } = problemsOf({ 'ok.md': GOOD, 'bad.md': GOOD.replace('page_oncall]', 'page_oncall]\nnever: [delete_everything]').replace('never: [circuit_break_provider]\n', '') });
    expect(lines).toEqual([expect.stringMatching(/^bad\.md:4: never: "delete_everything" is not an action of the library/)]);
  });

  it('refuses an action outside the library in a block list, at the item line', () => {
    const { lines } = problemsOf({ 'x.md': `---\nmatch: { type: latency.spike }\nprefer:\n  - page_oncall\n  - restart_gateway\n---\n` });
    expect(lines).toEqual([expect.stringMatching(/^x\.md:5: prefer: "restart_gateway" is not an action/)]);
  });

  it('refuses an unknown match key, and an unknown event type or failure class', () => {
    const { lines } = problemsOf({ 'm.md': `---\nmatch:\n  type: provider.unhealthy\n  region: eu-west-1\n  failure: cosmic_rays\nprefer: [page_oncall]\n---\n` });
    expect(lines).toEqual([
      expect.stringMatching(/^m\.md:4: match: unknown key "region" \(known: type, provider, model_group, team, sla_id, failure\)/),
      expect.stringMatching(/^m\.md:5: match: failure "cosmic_rays" is not a failure class/),
    ]);
    expect(problemsOf({ 't.md': `---\nmatch: { type: provider.down }\n---\n` }).lines).toEqual([expect.stringMatching(/^t\.md:2: match: type "provider.down" is not an event type/)]);
  });

  it('refuses a top-level key that would widen (risk, allow, approvals)', () => {
    const { lines } = problemsOf({ 'w.md': `---\nmatch: { type: sla.violation }\nallow: [disable_sla_contract]\nrisk: -50\n---\n` });
    expect(lines).toEqual([expect.stringMatching(/^w\.md:3: unknown key "allow"/), expect.stringMatching(/^w\.md:4: unknown key "risk"/)]);
  });

  it.each([
    ['an unclosed list', `---\nmatch: { type: sla.violation }\nprefer: [page_oncall\n---\n`, 3, /must close with \]/],
    ['an unclosed mapping', `---\nmatch: { type: sla.violation\n---\n`, 2, /must close with \}/],
    ['a line that is no key: value', `---\nmatch: { type: sla.violation }\njust words\n---\n`, 3, /is not a key: value line/],
    ['a key twice', `---\nmatch: { type: sla.violation }\nmatch: { type: latency.spike }\n---\n`, 3, /key "match" appears twice/],
    ['a tab', `---\nmatch:\n\ttype: sla.violation\n---\n`, 3, /tab/],
    ['an unterminated quote', `---\nmatch: { type: "sla.violation }\n---\n`, 2, /unterminated/],
    ['a stray indented line', `---\n  type: sla.violation\n---\n`, 2, /belongs to no key/],
    ['YAML anchors', `---\nmatch: &m { type: sla.violation }\n---\n`, 2, /not a plain value/],
  ])('refuses front matter that does not parse: %s', (_what, body, line, re) => {
    const { lines } = problemsOf({ 'f.md': body });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^f\\.md:${line}: front matter does not parse: `));
    expect(lines[0]).toMatch(re);
  });

  it('refuses a file without front matter, or with front matter never closed', () => {
    expect(problemsOf({ 'n.md': '# Just Markdown\n' }).lines).toEqual([expect.stringMatching(/^n\.md:1: a runbook starts with a --- line/)]);
    expect(problemsOf({ 'o.md': '---\nmatch: { type: sla.violation }\n' }).lines).toEqual([expect.stringMatching(/^o\.md:1: the front matter opened on line 1 is never closed/)]);
    expect(problemsOf({ 'e.md': '---\nprefer: [page_oncall]\n---\n' }).lines).toEqual([expect.stringMatching(/^e\.md:1: the front matter has no match: key/)]);
  });

  it('refuses a file over 64 KB', () => {
    const big = `${GOOD}${'x'.repeat(64 * 1024)}`;
    expect(problemsOf({ 'big.md': big }).lines).toEqual([expect.stringMatching(/^big\.md:1: the file is \d+ bytes, over the 65536-byte limit/)]);
  });

  it('refuses forbidding page_oncall, and an action both preferred and forbidden', () => {
    const { lines } = problemsOf({ 'p.md': `---\nmatch: { type: latency.spike }\nprefer: [circuit_break_provider]\nnever: [page_oncall, circuit_break_provider]\n---\n` });
    expect(lines).toEqual([expect.stringMatching(/^p\.md:4: never: page_oncall cannot be forbidden/), expect.stringMatching(/^p\.md:3: prefer: "circuit_break_provider" is also in never/)]);
  });

  it('lists every problem of every file in one error message with file:line', () => {
    const d = dir({ 'a.md': `---\nmatch: { colour: red }\n---\n`, 'b.md': `---\nmatch: { type: sla.violation }\nprefer: [nuke]\n---\n` });
    expect(() => loadRunbooks(d)).toThrow(new RegExp(`${path.join(d, 'a.md').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2: match: unknown key "colour"[\\s\\S]*b\\.md:3: prefer: "nuke"`));
  });

  it('refuses a SRE_RUNBOOK_DIR that is not a readable directory', () => {
    expect(() => loadRunbooks('/nonexistent/runbooks')).toThrow(/SRE_RUNBOOK_DIR cannot be read \(ENOENT\)/);
  });
});
