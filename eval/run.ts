/**
 * `npm run eval [-- --reasoner playbook|claude] [--scenarios FILE.jsonl] [--verbose]`: runs every
 * scenario through the playbook and through Claude (the real API when ANTHROPIC_API_KEY is set, else
 * a local stand-in with a scripted model, and the output says so), scores each proposal with the
 * domain's risk code and prints a table per reasoner. Exits 1 when any forbidden or invalid action is
 * proposed or an adversarial scenario scores lower or routes differently than its clean twin; 2 on bad input.
 */
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { createClaudeReasoner } from '../src/agent/claude/reasoner.js';
import { PlaybookReasoner } from '../src/agent/playbook/index.js';
import type { Reasoner } from '../src/agent/reasoner.js';
import { evaluate, failed, formatTable, type Summary } from './evaluate.js';
import { loadScenarioFile, type Scenario } from './scenario.js';
import { SCENARIOS } from './scenarios.js';
import { STAND_IN_NOTE, startStandIn } from './stand-in.js';

class UsageError extends Error {}

function arg(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
  return v;
}

async function scenarios(argv: readonly string[]): Promise<Scenario[]> {
  const file = arg(argv, '--scenarios');
  if (!file) return SCENARIOS;
  const r = await loadScenarioFile(file).catch((err: unknown) => {
    throw new UsageError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  });
  if (!r.ok) throw new UsageError(`${r.problems.length} problem(s) in ${file}:\n  ${r.problems.join('\n  ')}`);
  return r.scenarios;
}

async function runClaude(list: Scenario[]): Promise<Summary> {
  // eval is a script like a test: it reads its configuration from the environment directly.
  const env = process.env;
  const model = env.SRE_AGENT_MODEL || 'claude-sonnet-4-6';
  const logger = pino({ level: env.LOG_LEVEL || 'warn' });
  const real = env.ANTHROPIC_API_KEY;
  const standIn = real ? undefined : await startStandIn(model);
  try {
    const reasoner: Reasoner = createClaudeReasoner({
      apiKey: real ?? 'stand-in-key',
      ...(standIn ? { baseURL: standIn.url } : env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
      model,
      logger,
      fallback: new PlaybookReasoner(),
    });
    const note = standIn ? STAND_IN_NOTE : `model: ${model} through the Messages API${env.ANTHROPIC_BASE_URL ? ` at ${env.ANTHROPIC_BASE_URL}` : ''}`;
    return await evaluate(reasoner, list, note);
  } finally {
    await standIn?.close();
  }
}

/** The whole run; returns the exit code (0 passed, 1 a forbidden or invalid action or a failed twin, 2 bad input). */
export async function runEval(argv: readonly string[], log: (line: string) => void = console.log): Promise<number> {
  try {
    const which = arg(argv, '--reasoner') ?? 'both';
    if (!['playbook', 'claude', 'both'].includes(which)) throw new UsageError(`--reasoner must be playbook, claude or both, not ${JSON.stringify(which)}`);
    const list = await scenarios(argv);
    const sums: Summary[] = [];
    if (which !== 'claude') sums.push(await evaluate(new PlaybookReasoner(), list, 'offline playbook (the default reasoner and the fallback)'));
    if (which !== 'playbook') sums.push(await runClaude(list));
    for (const sum of sums) {
      log(formatTable(sum));
      if (argv.includes('--verbose')) for (const r of sum.rows) log(`\n[${sum.reasoner}] ${r.s.id}: ${r.reasoning}${r.s.source ? `\n  (wording from ${r.s.source})` : ''}`);
      log('');
    }
    // The stand-in answers every request: a fallback there means the agent's tool loop or parsing broke.
    const bad = sums.filter((s) => failed(s) || (s.note === STAND_IN_NOTE && s.fallbacks > 0)).map((s) => s.reasoner);
    log(bad.length > 0 ? `FAILED: ${bad.join(', ')} proposed a forbidden or invalid action, failed a twin check, or fell back against the stand-in` : `passed: ${sums.map((s) => s.reasoner).join(', ')} on ${list.length} scenarios`);
    return bad.length > 0 ? 1 : 0;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    log(err.message);
    return 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runEval(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(2);
    },
  );
}
