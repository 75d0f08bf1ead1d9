/**
 * A strict parser for the front matter a runbook may carry (CONTRACT.md "Runbooks"): top-level
 * `key: value` lines, where a value is a plain or quoted scalar, a one-line flow mapping
 * `{ a: b, c: d }`, a one-line flow sequence `[a, b]`, or an indented block of `key: value` or
 * `- item` lines under an empty value. `#` starts a comment. Anything else is an error naming its
 * line. Pure: no I/O.
 */

export type FrontValue = string | string[] | Record<string, string>;

export interface FrontEntry {
  value: FrontValue;
  /** 1-based line of the key in the file. */
  line: number;
  /** Lines of each map key or sequence item, in order (for problems about one of them). */
  itemLines: number[];
}

export type FrontMatter = Map<string, FrontEntry>;

export class FrontMatterError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The text before an unquoted `#` that starts a comment (at the start or after whitespace). */
function stripComment(s: string, line: number): string {
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || s[i - 1] === ' ' || s[i - 1] === '\t')) {
      return s.slice(0, i).trimEnd();
    }
  }
  if (quote) throw new FrontMatterError(line, `unterminated ${quote} quote`);
  return s.trimEnd();
}

/** A plain or quoted scalar; an empty scalar or one with YAML's indicator characters is refused. */
function scalar(raw: string, line: number): string {
  const s = raw.trim();
  if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0]) {
    const inner = s.slice(1, -1);
    if (inner.includes(s[0])) throw new FrontMatterError(line, `a quote inside the quoted value ${s} is not supported`);
    return inner;
  }
  if (s === '') throw new FrontMatterError(line, 'a value is empty');
  if (/^[[\]{}&*!|>%@`"',]/.test(s) || /[{}[\],]|: |:$/.test(s)) throw new FrontMatterError(line, `"${s}" is not a plain value (quote it, or use [a, b] or { k: v } on one line)`);
  return s;
}

function splitFlow(body: string, line: number): string[] {
  if (body.trim() === '') return [];
  const parts = body.split(',');
  if (parts.some((p) => p.trim() === '')) throw new FrontMatterError(line, 'an empty item between commas');
  return parts;
}

function flowSequence(raw: string, line: number): string[] {
  if (!raw.endsWith(']')) throw new FrontMatterError(line, 'a [ list must close with ] on the same line');
  return splitFlow(raw.slice(1, -1), line).map((p) => scalar(p, line));
}

function pair(raw: string, line: number, into: Record<string, string>): void {
  const i = raw.indexOf(':');
  if (i < 0) throw new FrontMatterError(line, `"${raw.trim()}" is not a key: value pair`);
  const k = raw.slice(0, i).trim();
  if (!KEY.test(k)) throw new FrontMatterError(line, `"${k}" is not a key`);
  if (Object.hasOwn(into, k)) throw new FrontMatterError(line, `key "${k}" appears twice`);
  into[k] = scalar(raw.slice(i + 1), line);
}

function flowMapping(raw: string, line: number): Record<string, string> {
  if (!raw.endsWith('}')) throw new FrontMatterError(line, 'a { mapping must close with } on the same line');
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const p of splitFlow(raw.slice(1, -1), line)) pair(p, line, out);
  return out;
}

/** Lines of the front matter (without its `---` fences); `first` is the file line of lines[0]. */
export function parseFrontMatter(lines: readonly string[], first: number): FrontMatter {
  const out: FrontMatter = new Map();
  let block: { key: string; entry: FrontEntry } | undefined;
  lines.forEach((rawLine, i) => {
    const line = first + i;
    if (rawLine.includes('\t')) throw new FrontMatterError(line, 'a tab character (indent with spaces)');
    const text = stripComment(rawLine, line);
    if (text.trim() === '') return;
    if (/^\s/.test(text)) {
      if (!block) throw new FrontMatterError(line, 'an indented line that belongs to no key');
      blockLine(block, text.trim(), line);
      return;
    }
    block = undefined;
    const m = /^([^:\s]+)\s*:(.*)$/.exec(text);
    if (!m || !KEY.test(m[1]!)) throw new FrontMatterError(line, `"${text}" is not a key: value line`);
    const key = m[1]!;
    if (out.has(key)) throw new FrontMatterError(line, `key "${key}" appears twice`);
    const rest = m[2]!.trim();
    const entry: FrontEntry = { value: '', line, itemLines: [] };
    out.set(key, entry);
    if (rest === '') block = { key, entry };
    else if (rest.startsWith('[')) entry.value = flowSequence(rest, line);
    else if (rest.startsWith('{')) entry.value = flowMapping(rest, line);
    else entry.value = scalar(rest, line);
    if (Array.isArray(entry.value)) entry.itemLines = entry.value.map(() => line);
    else if (typeof entry.value === 'object') entry.itemLines = Object.keys(entry.value).map(() => line);
  });
  for (const [key, e] of out) if (e.value === '') throw new FrontMatterError(e.line, `key "${key}" has no value`);
  return out;
}

function blockLine(block: { key: string; entry: FrontEntry }, t: string, line: number): void {
  const e = block.entry;
  if (t.startsWith('- ') || t === '-') {
    if (e.value === '') e.value = [];
    if (!Array.isArray(e.value)) throw new FrontMatterError(line, `"${block.key}" mixes list items and key: value pairs`);
    e.value.push(scalar(t.slice(1), line));
  } else {
    if (e.value === '') e.value = Object.create(null) as Record<string, string>;
    if (typeof e.value !== 'object' || Array.isArray(e.value)) throw new FrontMatterError(line, `"${block.key}" mixes list items and key: value pairs`);
    pair(t, line, e.value);
  }
  e.itemLines.push(line);
}
