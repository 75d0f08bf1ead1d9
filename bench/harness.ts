import { WebClient } from '@slack/web-api';
import type { Gateway } from '../src/actions/index.js';
import { PlaybookReasoner } from '../src/agent/playbook/index.js';
import type { Reasoner } from '../src/agent/reasoner.js';
import { loadConfig } from '../src/config.js';
import type { Database } from '../src/db/client.js';
import { createStreamConsumer, type StreamConsumer } from '../src/ingest/redis-consumer.js';
import { streamBatchHandler } from '../src/ingest/stream/wiring.js';
import { createLanes, createPool, createWorkers } from '../src/jobs/index.js';
import { buildServiceDeps } from '../src/main.js';
import { createDispatcher } from '../src/notify/dispatcher.js';
import { createSlackAdapter } from '../src/notify/slack/index.js';
import type { ServiceDeps } from '../src/proposals/index.js';
import { slackClientOptions } from '../src/slack/app.js';
import { REDIS_URL, logger } from './support.js';

export interface BenchAgent {
  deps: ServiceDeps;
  consumer?: StreamConsumer;
  reasoningRuns(): number;
  stop(): Promise<void>;
}

/**
 * The agent's moving parts as src/main.ts wires them (buildServiceDeps, the lanes, the reasoning
 * pool and the outbox loop, the stream consumer into ingest), without the HTTP server and Slack app.
 */
export async function startBenchAgent(opts: { database: Database; stream?: string; slackUrl?: string; gateway?: Gateway; loopMs?: number; env?: Record<string, string> }): Promise<BenchAgent> {
  const playbook = new PlaybookReasoner();
  let runs = 0;
  const reasoner: Reasoner = {
    name: 'playbook',
    propose: (ctx, gw) => {
      runs++;
      return playbook.propose(ctx, gw);
    },
    converse: (ctx, thread, gw) => playbook.converse(ctx, thread, gw),
  };
  const config = loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'http://localhost:8080', SRE_RISK_THRESHOLD: '40', SRE_AUTO_APPROVE: 'false', ...opts.env });
  const s = await buildServiceDeps(config, { database: opts.database, logger, reasoner, channels: opts.slackUrl ? ['slack'] : [], ...(opts.gateway ? { gateway: opts.gateway } : {}) });
  const { deps } = s;
  const adapters = opts.slackUrl
    ? [createSlackAdapter({ db: deps.db, client: new WebClient('xoxb-bench', slackClientOptions(opts.slackUrl, logger)), channel: 'C0BENCH', publicBaseUrl: deps.publicBaseUrl, logger })]
    : [];
  const dispatcher = createDispatcher({ db: deps.db, adapters, logger, clock: deps.clock, holder: s.replica });
  const pool = createPool(deps, s.catalog, { runner: s.runner, concurrency: config.agent.reasoningConcurrency, deadlineMs: config.agent.reasoningDeadlineMs, onSlotFree: () => workers.wakeReasoning() });
  const workers = createWorkers({ db: deps.db, clock: deps.clock, logger, lanes: createLanes(s.catalog, s.runner), pool, outbox: dispatcher, loopMs: opts.loopMs ?? 500 });
  deps.poke = () => workers.wake();
  await workers.start();

  let consumer: StreamConsumer | undefined;
  if (opts.stream) {
    consumer = createStreamConsumer({ redisUrl: REDIS_URL, stream: opts.stream, group: 'sre-agent', consumer: 'bench-agent', logger, blockMs: 100, handleBatch: streamBatchHandler(deps) });
    await consumer.start();
  }
  return {
    deps,
    ...(consumer ? { consumer } : {}),
    reasoningRuns: () => runs,
    async stop() {
      await consumer?.stop();
      await workers.stop();
      s.runner.stop();
      // Flushes the traces (bounded) when the env turned tracing on; the database is the caller's.
      await s.close();
    },
  };
}
