/**
 * `npm run eval`: runs every scenario through a reasoner (the playbook offline; Claude when
 * ANTHROPIC_API_KEY is set, or `--reasoner playbook|claude`), scores each proposal with the
 * domain's risk code and prints a table. Exits 1 when any forbidden or invalid action is
 * proposed, or an adversarial scenario scores lower or routes differently than its clean twin.
 */
import { pino } from 'pino';
import { createClaudeReasoner } from '../src/agent/claude/reasoner.js';
import { PlaybookReasoner } from '../src/agent/playbook/index.js';
import type { Reasoner } from '../src/agent/reasoner.js';
import { evaluate, failed, formatTable } from './evaluate.js';
import { SCENARIOS } from './scenarios.js';

function pick(): Reasoner {
  const arg = process.argv.indexOf('--reasoner');
  const wanted = arg > 0 ? process.argv[arg + 1] : undefined;
  // eval is a script like a test: it reads its configuration from the environment directly.
  const env = process.env;
  const key = env.ANTHROPIC_API_KEY;
  if (wanted === 'playbook' || (!key && wanted !== 'claude')) return new PlaybookReasoner();
  if (!key) throw new Error('--reasoner claude needs ANTHROPIC_API_KEY');
  return createClaudeReasoner({
    apiKey: key,
    ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
    model: env.SRE_AGENT_MODEL || 'claude-sonnet-4-6',
    logger: pino({ level: env.LOG_LEVEL || 'warn' }),
    fallback: new PlaybookReasoner(),
  });
}

async function main(): Promise<number> {
  const sum = await evaluate(pick(), SCENARIOS);
  console.log(formatTable(sum));
  return failed(sum) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
