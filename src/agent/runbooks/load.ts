import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { MAX_RUNBOOK_BYTES, parseRunbook, type Runbook, type RunbookProblem } from './runbook.js';

/** Every problem of every runbook, each as `file:line: message`; the start stops on it. */
export class RunbookError extends Error {
  constructor(readonly problems: RunbookProblem[]) {
    super(`Runbooks in SRE_RUNBOOK_DIR are invalid:\n${problems.map((p) => `  ${p.file}:${p.line}: ${p.message}`).join('\n')}`);
    this.name = 'RunbookError';
  }
}

function markdownFiles(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) return markdownFiles(dir, r);
      return e.isFile() && e.name.endsWith('.md') ? [r] : [];
    });
}

/**
 * Reads and validates every `*.md` file under `dir` (sorted by path, subfolders included) at
 * start. Any problem in any file throws a RunbookError naming each file and line; nothing loads
 * half. An unset dir loads none.
 */
export function loadRunbooks(dir: string | undefined): Runbook[] {
  if (dir === undefined) return [];
  let files: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new RunbookError([{ file: dir, line: 1, message: 'SRE_RUNBOOK_DIR is not a directory' }]);
    files = markdownFiles(dir);
  } catch (e) {
    if (e instanceof RunbookError) throw e;
    throw new RunbookError([{ file: dir, line: 1, message: `SRE_RUNBOOK_DIR cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` }]);
  }
  const problems: RunbookProblem[] = [];
  const out: Runbook[] = [];
  for (const rel of files) {
    const file = path.join(dir, rel);
    if (statSync(file).size > MAX_RUNBOOK_BYTES) {
      problems.push({ file, line: 1, message: `the file is ${statSync(file).size} bytes, over the ${MAX_RUNBOOK_BYTES}-byte limit of a runbook` });
      continue;
    }
    const r = parseRunbook(file, rel, readFileSync(file));
    if (r.ok) out.push(r.runbook);
    else problems.push(...r.problems);
  }
  if (problems.length > 0) throw new RunbookError(problems);
  return out;
}
