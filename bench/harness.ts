import { systemClock } from '../src/clock.js';
import { WebClient } from '@slack/web-api';
import { createLogPager, createSimulatedGateway, type Gateway } from '../src/actions/index.js';
import { PlaybookReasoner } from '../src/agent/playbook/index.js';
import type { Reasoner } from '../src/agent/reasoner.js';
import type { Db } from '../src/db/client.js';
import { ingestEvents } from '../src/ingest/ingest.js';
import { createStreamConsumer, type StreamConsumer } from '../src/ingest/redis-consumer.js';
import { createDispatcher } from '../src/notify/dispatcher.js';
import { createSlackAdapter } from '../src/notify/slack.js';
import { DEFAULT_TIMER_HANDLERS, runDueTimers } from '../src/proposals/timers.js';
import type { ServiceDeps } from '../src/proposals/types.js';
import { slackClientOptions } from '../src/slack/app.js';
import { REDIS_URL, logger } from './support.js';

export interface BenchAgent {
  deps: ServiceDeps;
  consumer?: StreamConsumer;
  reasoningRuns(): number;
  stop(): Promise<void>;
}

/**
 * The agent's moving parts wired as src/main.ts wires them: the stream consumer into ingestEvents,
 * and one background loop (due timers, then the outbox dispatcher) woken by poke after commits.
 */
export async function startBenchAgent(opts: { db: Db; stream?: string; slackUrl?: string; gateway?: Gateway; loopMs?: number }): Promise<BenchAgent> {
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
  let wake: (() => void) | undefined;
  const deps: ServiceDeps = {
    db: opts.db,
    gateway: opts.gateway ?? createSimulatedGateway(),
    pager: createLogPager(logger),
    reasoner,
    logger,
    channels: opts.slackUrl ? ['slack'] : [],
    policy: { riskThreshold: 40, autoApprove: false, timeZone: 'UTC', criticalTeams: [], mode: 'live', twoPersonScore: 75 },
    safety: { verifyWindowMs: 5 * 60_000, autoRevert: true, actionCooldownMs: 30 * 60_000, maxActionsPerHour: 10 },
    lifecycle: { escalateAfterMs: 15 * 60_000, proposalTtlMs: 24 * 3_600_000 },
    publicBaseUrl: 'http://localhost:8080',
    clock: systemClock,
    poke: () => wake?.(),
  };
  const adapters = opts.slackUrl
    ? [createSlackAdapter({ db: opts.db, client: new WebClient('xoxb-bench', slackClientOptions(opts.slackUrl, logger)), channel: 'C0BENCH', publicBaseUrl: deps.publicBaseUrl, logger })]
    : [];
  const dispatcher = createDispatcher({ db: opts.db, adapters, logger, clock: deps.clock });

  let stopping = false;
  const loopMs = opts.loopMs ?? 500;
  const loop = (async () => {
    while (!stopping) {
      try {
        await runDueTimers(deps, DEFAULT_TIMER_HANDLERS);
        await dispatcher.runOnce();
      } catch (e) {
        logger.error({ err: e }, 'bench background loop');
      }
      if (stopping) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, loopMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  })();

  let consumer: StreamConsumer | undefined;
  if (opts.stream) {
    consumer = createStreamConsumer({
      redisUrl: REDIS_URL,
      stream: opts.stream,
      group: 'sre-agent',
      consumer: 'bench-agent',
      logger,
      blockMs: 100,
      handleBatch: async (entries) => {
        await ingestEvents(deps, entries.map((e) => ({ event: e.event, via: 'stream' as const, entryId: e.id })));
      },
    });
    await consumer.start();
  }
  return {
    deps,
    ...(consumer ? { consumer } : {}),
    reasoningRuns: () => runs,
    async stop() {
      await consumer?.stop();
      stopping = true;
      wake?.();
      await loop;
    },
  };
}
