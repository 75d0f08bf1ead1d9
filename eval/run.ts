/**
 * `npm run eval -- --replay decisions.jsonl [--reasoner playbook|claude] [--verbose]`: the people's
 * past decisions reasoned about again (eval/replay.ts, docs/replay.md); exits 1 when today's agent
 * would execute by itself an action a person rejected, 2 on a bad line (nothing printed before).
 *
 * `npm run eval [-- --reasoner playbook|claude] [--scenarios FILE.jsonl] [--verbose]`: runs every
 * scenario through the playbook and through Claude (the real API when ANTHROPIC_API_KEY is set, else
 * a local stand-in with a scripted model, and the output says so), scores each proposal with the
 * domain's risk code and prints a table per reasoner. Exits 1 when any forbidden or invalid action is
 * proposed or an adversarial scenario scores lower or routes differently than its clean twin; 2 on bad input.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { createClaudeReasoner } from '../src/agent/claude/reasoner.js';
import { PlaybookReasoner } from '../src/agent/playbook/index.js';
import type { Reasoner } from '../src/agent/reasoner.js';
import { evaluate, failed, formatTable, type Summary } from './evaluate.js';
import { loadScenarioFile, type Scenario } from './scenario.js';
import { SCENARIOS } from './scenarios.js';
import { formatChanges, formatReplay } from './agreement.js';
import { readDecisionFile, replayAll, type ReplayPolicy } from './replay.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { loadRunbooks, RunbookError } from '../src/agent/runbooks/index.js';
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

/** Claude through the Messages API when ANTHROPIC_API_KEY is set, else through the local stand-in (said in the note). */
async function withClaude<T>(env: Record<string, string | undefined>, fn: (reasoner: Reasoner, note: string, standIn: boolean) => Promise<T>): Promise<T> {
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
    return await fn(reasoner, note, standIn !== undefined);
  } finally {
    await standIn?.close();
  }
}

// eval is a script like a test: it reads its configuration from the environment directly.
const runClaude = (list: Scenario[]): Promise<Summary> => withClaude(process.env, (reasoner, note) => evaluate(reasoner, list, note));

export interface EvalOptions {
  /** Where problems with the input go (stderr); the results go to `log`. */
  error?: (line: string) => void;
  /** The environment today's policy and runbooks are read from (default: process.env over config/.env). */
  env?: Record<string, string | undefined>;
}

/** Today's policy and runbooks, as the agent would start with them. */
function todays(env: Record<string, string | undefined> | undefined) {
  try {
    const c = env ? loadConfig(env) : loadConfig();
    const p = c.policy;
    const policy: ReplayPolicy = { riskThreshold: p.riskThreshold, autoApprove: p.autoApprove, pageWithoutApproval: p.pageWithoutApproval, timeZone: p.timeZone, criticalTeams: p.criticalTeams, twoPersonScore: p.twoPersonScore, approverRules: p.approverRules };
    return { config: c, policy, runbooks: loadRunbooks(c.agent.runbookDir) };
  } catch (e) {
    if (e instanceof ConfigError || e instanceof RunbookError) throw new UsageError(e.message);
    throw e;
  }
}

async function runReplay(argv: readonly string[], file: string, log: (line: string) => void, opts: EvalOptions): Promise<number> {
  const error = opts.error ?? console.error;
  if (!existsSync(file)) throw new UsageError(`--replay: no such file: ${file}`);
  const which = arg(argv, '--reasoner');
  if (which !== undefined && which !== 'playbook' && which !== 'claude') throw new UsageError(`--reasoner must be playbook or claude with --replay, not ${JSON.stringify(which)}`);
  const read = await readDecisionFile(file);
  if (!read.ok) {
    error(`${file}: ${read.problems.length} problem(s); nothing was replayed:\n  ${read.problems.slice(0, 50).join('\n  ')}${read.problems.length > 50 ? `\n  … and ${read.problems.length - 50} more` : ''}`);
    return 2;
  }
  const { config, policy, runbooks } = todays(opts.env);
  const env = opts.env ?? process.env;
  const useClaude = which === 'claude' || (which === undefined && config.agent.anthropicApiKey !== undefined);
  const policyNote = `today's policy: threshold ${policy.riskThreshold}, auto-approve ${policy.autoApprove ? 'on' : 'off'}, two-person at ${policy.twoPersonScore}; ${runbooks.length} runbook(s)`;
  const run = async (reasoner: Reasoner, note: string) => {
    const list = await replayAll(reasoner, read.records, runbooks, policy);
    for (const line of formatReplay(list, `replay of ${read.records.length} decision(s) from ${file}; reasoner: ${reasoner.name}; ${note}; ${policyNote}`)) log(line);
    if (argv.includes('--verbose')) for (const line of formatChanges(list)) log(line);
    const bad = list.filter((c) => c.autoRejected).length;
    log(bad > 0 ? `FAILED: ${bad} decision(s) a person rejected would now execute without a person` : 'passed: nothing a person rejected would now execute without a person');
    return bad > 0 ? 1 : 0;
  };
  return useClaude ? withClaude(env, (r, note) => run(r, note)) : run(new PlaybookReasoner(), 'offline playbook');
}

/** The whole run; returns the exit code (0 passed, 1 a forbidden or invalid action or a failed twin, 2 bad input). */
export async function runEval(argv: readonly string[], log: (line: string) => void = console.log, opts: EvalOptions = {}): Promise<number> {
  try {
    const replay = arg(argv, '--replay');
    if (replay !== undefined) return await runReplay(argv, replay, log, opts);
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
    (argv.includes('--replay') ? (opts.error ?? console.error) : log)(err.message);
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
