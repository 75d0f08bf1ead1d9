/** Operators' runbooks (CONTRACT.md "Runbooks"): loaded and validated at start, matched per incident; they narrow, never widen. */
export { loadRunbooks, RunbookError } from './load.js';
export { incidentFacts, matchRunbook, matches, narrowActions, runbookRefusal } from './match.js';
export { MATCH_KEYS, MAX_RUNBOOK_BYTES, parseRunbook, type Runbook, type RunbookMatch, type RunbookProblem } from './runbook.js';
