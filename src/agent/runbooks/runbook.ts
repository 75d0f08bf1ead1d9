import { createHash } from 'node:crypto';
import { ACTION_IDS, type ActionId } from '../../domain/actions.js';
import { EVENT_TYPES, type EventType } from '../../domain/events.js';
import { FAILURE_CLASSES, type FailureClass } from '../evidence.js';
import { FrontMatterError, parseFrontMatter, type FrontEntry } from './front-matter.js';

/**
 * One runbook (CONTRACT.md "Runbooks"): which incidents it matches, the actions it prefers (in
 * order) and forbids, and free text for people and for Claude. Parsing and validation are pure;
 * load.ts reads the files.
 */

export const MATCH_KEYS = ['type', 'provider', 'model_group', 'team', 'sla_id', 'failure'] as const;
export type MatchKey = (typeof MATCH_KEYS)[number];
export interface RunbookMatch {
  type?: EventType;
  provider?: string;
  model_group?: string;
  team?: string;
  sla_id?: string;
  failure?: FailureClass;
}

export const FRONT_KEYS = ['match', 'prefer', 'never'] as const;
export const MAX_RUNBOOK_BYTES = 64 * 1024;

export interface Runbook {
  /** The file's path relative to SRE_RUNBOOK_DIR (what a proposal records). */
  path: string;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
  match: RunbookMatch;
  prefer: ActionId[];
  never: ActionId[];
  /** The Markdown after the front matter. */
  text: string;
}

/** A problem with one runbook file, at a line (1-based). */
export interface RunbookProblem {
  file: string;
  line: number;
  message: string;
}

export type ParsedRunbook = { ok: true; runbook: Runbook } | { ok: false; problems: RunbookProblem[] };

const isAction = (s: string): s is ActionId => (ACTION_IDS as readonly string[]).includes(s);

function actions(key: 'prefer' | 'never', e: FrontEntry, problem: (line: number, m: string) => void): ActionId[] {
  const list = typeof e.value === 'string' ? [e.value] : Array.isArray(e.value) ? e.value : undefined;
  if (!list) {
    problem(e.line, `${key}: expected a list of action ids such as [reroute_model_group, page_oncall]`);
    return [];
  }
  const out: ActionId[] = [];
  list.forEach((a, i) => {
    const line = e.itemLines[i] ?? e.line;
    if (!isAction(a)) problem(line, `${key}: "${a}" is not an action of the library (${ACTION_IDS.join(', ')})`);
    else if (out.includes(a)) problem(line, `${key}: "${a}" is listed twice`);
    else if (key === 'never' && a === 'page_oncall') problem(line, 'never: page_oncall cannot be forbidden: it is where every refused proposal ends, a person');
    else out.push(a);
  });
  return out;
}

function matchOf(e: FrontEntry, problem: (line: number, m: string) => void): RunbookMatch {
  if (typeof e.value !== 'object' || Array.isArray(e.value)) {
    problem(e.line, 'match: expected a mapping such as { type: provider.unhealthy, provider: azure-openai }');
    return {};
  }
  const out: RunbookMatch = {};
  Object.entries(e.value).forEach(([k, v], i) => {
    const line = e.itemLines[i] ?? e.line;
    if (!(MATCH_KEYS as readonly string[]).includes(k)) return problem(line, `match: unknown key "${k}" (known: ${MATCH_KEYS.join(', ')})`);
    if (k === 'type' && !(EVENT_TYPES as readonly string[]).includes(v)) return problem(line, `match: type "${v}" is not an event type (${EVENT_TYPES.join(', ')})`);
    if (k === 'failure' && !(FAILURE_CLASSES as readonly string[]).includes(v)) return problem(line, `match: failure "${v}" is not a failure class (${FAILURE_CLASSES.join(', ')})`);
    (out as Record<string, string>)[k] = v;
  });
  if (Object.keys(e.value).length === 0) problem(e.line, 'match: names no key; a runbook that matches every incident must say so with at least a type');
  return out;
}

/** Where the front matter ends: the index of the closing `---` line, or undefined. */
function closing(lines: readonly string[]): number | undefined {
  for (let i = 1; i < lines.length; i++) if (/^---\s*$/.test(lines[i]!)) return i;
  return undefined;
}

/** Parses and validates one runbook file's bytes; every problem names the file and line. */
export function parseRunbook(file: string, path: string, bytes: Buffer): ParsedRunbook {
  const problems: RunbookProblem[] = [];
  const problem = (line: number, message: string) => void problems.push({ file, line, message });
  if (bytes.length > MAX_RUNBOOK_BYTES) return { ok: false, problems: [{ file, line: 1, message: `the file is ${bytes.length} bytes, over the ${MAX_RUNBOOK_BYTES}-byte limit of a runbook` }] };
  const source = bytes.toString('utf8');
  if (source.includes('\uFFFD')) return { ok: false, problems: [{ file, line: 1, message: 'the file is not UTF-8 text' }] };
  const lines = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (!/^---\s*$/.test(lines[0] ?? '')) return { ok: false, problems: [{ file, line: 1, message: 'a runbook starts with a --- line opening its front matter' }] };
  const end = closing(lines);
  if (end === undefined) return { ok: false, problems: [{ file, line: 1, message: 'the front matter opened on line 1 is never closed with a --- line' }] };
  let front;
  try {
    front = parseFrontMatter(lines.slice(1, end), 2);
  } catch (e) {
    if (e instanceof FrontMatterError) return { ok: false, problems: [{ file, line: e.line, message: `front matter does not parse: ${e.message}` }] };
    throw e;
  }
  for (const [k, e] of front) if (!(FRONT_KEYS as readonly string[]).includes(k)) problem(e.line, `unknown key "${k}" (a runbook has only ${FRONT_KEYS.join(', ')}: it narrows what the agent may do, never widens it)`);
  const m = front.get('match');
  if (!m) problem(1, 'the front matter has no match: key');
  const match = m ? matchOf(m, problem) : {};
  const prefer = front.has('prefer') ? actions('prefer', front.get('prefer')!, problem) : [];
  const never = front.has('never') ? actions('never', front.get('never')!, problem) : [];
  for (const a of prefer) if (never.includes(a)) problem(front.get('prefer')!.line, `prefer: "${a}" is also in never`);
  if (problems.length > 0) return { ok: false, problems };
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { ok: true, runbook: { path, sha256, match, prefer, never, text: lines.slice(end + 1).join('\n').trim() } };
}
