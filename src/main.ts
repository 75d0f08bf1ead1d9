import { hostname } from 'node:os';
import { systemClock, wakeable, type Clock } from './clock.js';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createGateway, createPager } from './actions/index.js';
import { createClaudeReasoner } from './agent/claude/reasoner.js';
import { PlaybookReasoner } from './agent/playbook/index.js';
import type { Reasoner } from './agent/reasoner.js';
import { describeDefaults, describeGaps, type Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import type { Channel } from './domain/notifications.js';
import { createLogger, wantsPretty } from './logger.js';
import { createDispatcher, type Dispatcher } from './notify/dispatcher.js';
import type { ChannelAdapter } from './notify/adapter.js';
import { escalateTimer } from './proposals/escalate.js';
import { nextRetentionRun, runRetention } from './audit/retention.js';
import { closeQuietIncidents } from './ingest/close-quiet.js';
import { schema } from './db/client.js';
import { releaseOwnLeases } from './db/leases.js';
import { createTimerLanes } from './proposals/lanes.js';
import { createReasoningPool } from './proposals/reasoning-pool.js';
import { reconcileExecutions } from './proposals/reconcile.js';
import { DEFAULT_TIMER_HANDLERS, createTimerRunner, orphanIncidents, rearmPropose } from './proposals/timers.js';
import { recordModeChange } from './proposals/shadow.js';
import type { ServiceDeps } from './proposals/types.js';
import { createWebServer, type RouteHandler } from './web/server.js';
import { createHash, randomBytes } from 'node:crypto';
import { createAuthBrake } from './web/brake.js';
import { auditDeadLetter, streamBatchHandler } from './ingest/stream/wiring.js';
import { createStreamConsumer, type StreamConsumer } from './ingest/redis-consumer.js';
import { createMetrics, databaseCollector } from './metrics.js';
import { createEmailAdapter } from './notify/email.js';
import { createPagerDutyAdapter } from './notify/pagerduty.js';
import { createSlackAdapter } from './notify/slack.js';
import { createWebhookAdapter } from './notify/webhook.js';
import { createSlackApp, type SlackApp } from './slack/app.js';
import { createConsole } from './web/console/index.js';

export class StartupError extends Error {}

export interface Agent {
  deps: ServiceDeps;
  database: Database;
  server: Server;
  dispatcher: Dispatcher;
  logger: Logger;
  /** Listens on the configured port (0 picks a free one); resolves with the bound port. */
  start(): Promise<number>;
  /** Stops taking work (readiness fails first), finishes in-flight work, closes connections. */
  stop(): Promise<void>;
  /** One pass of the background work (timers, outbox, reconciliation): tests drive it directly. */
  tick(): Promise<void>;
}

export interface AgentOptions {
  logger?: Logger;
  database?: Database;
  /** The one clock (default: the system's); tests pass a test clock. */
  clock?: Clock;
  /** Background loop period; 0 disables the loop (tests call tick()). */
  loopMs?: number;
  reconcileStaleMs?: number;
  adapters?: ChannelAdapter[];
  /** Lease of claimed timers and outbox rows (default 15 s); tests shorten it. */
  leaseMs?: number;
}

const UNLICENSED = new Set(['trial', 'team']);
/** The operator a console session opened with the start-up sign-in link acts as. */
export const LOCAL_OPERATOR = 'local';

/** The composition root: picks real or embedded parts from the configuration and wires them. */
export async function createAgent(config: Config, opts: AgentOptions = {}): Promise<Agent> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, pretty: wantsPretty(process.stdout, config.env) });
  if (UNLICENSED.has(config.license.tier)) {
    throw new StartupError(
      `The SRE agent is not included in the ${config.license.tier} tier (SCUTUM_LICENSE_TIER=${config.license.tier}); it is part of the business and enterprise tiers.`,
    );
  }
  for (const line of describeDefaults(config)) logger.info(line);
  for (const line of describeGaps(config)) logger.warn(line);

  const database = opts.database ?? (await openDatabase(config.storage));
  if (!opts.database) await database.migrate();
  const clock = opts.clock ?? systemClock;
  const gateway = createGateway(config.adminApi, logger, clock);
  const pager = createPager(config.pagerduty, logger);
  const playbook = new PlaybookReasoner({ logger });
  const reasoner: Reasoner = config.agent.anthropicApiKey
    ? createClaudeReasoner({
        apiKey: config.agent.anthropicApiKey,
        baseURL: config.agent.anthropicBaseUrl,
        model: config.agent.model,
        logger,
        fallback: playbook,
        clock,
        limits: { wallTimeMs: config.agent.reasoningDeadlineMs },
      })
    : playbook;
  // The replica's name: the stream consumer's, and the holder of the work it leases.
  const replica = config.bus.consumerName ?? `${hostname()}-${process.pid}`;

  const adapters: ChannelAdapter[] = [...(opts.adapters ?? [])];
  const channels: Channel[] = [];
  // The background loops' pauses: a commit wakes them at once.
  const pauses = wakeable(clock);
  const reasoningPause = wakeable(clock);
  const wake = () => {
    pauses.wake();
    reasoningPause.wake();
  };
  const metrics = createMetrics({ logger });
  const deps: ServiceDeps = {
    metrics,
    db: database.db,
    ...(database.openCopyClient ? { copyClient: database.openCopyClient } : {}),
    gateway,
    pager,
    reasoner,
    logger,
    channels,
    policy: { ...config.policy },
    safety: { ...config.safety },
    lifecycle: { ...config.lifecycle },
    publicBaseUrl: config.http.publicBaseUrl,
    clock,
    poke: wake,
  };
  let slack: SlackApp | undefined;
  if (!opts.adapters) {
    if (config.slack.botToken) {
      slack = createSlackApp({
        deps,
        botToken: config.slack.botToken,
        signingSecret: config.slack.signingSecret,
        appToken: config.slack.appToken,
        apiUrl: config.slack.apiUrl,
        incidentChannel: config.slack.incidentChannel,
        approvers: config.slack.approvers,
        logger: logger.child({ part: 'slack' }),
      });
      if (config.slack.incidentChannel) {
        adapters.push(createSlackAdapter({ db: database.db, client: slack.client, channel: config.slack.incidentChannel, publicBaseUrl: config.http.publicBaseUrl, logger, clock }));
      }
    }
    const e = config.email;
    if (e.sendgridApiKey && e.from && e.linkSecret && e.to.length > 0) {
      adapters.push(createEmailAdapter({ db: database.db, apiKey: e.sendgridApiKey, apiUrl: e.sendgridApiUrl, from: e.from, to: e.to, linkSecret: e.linkSecret, publicBaseUrl: config.http.publicBaseUrl, logger, clock }));
    }
    if (config.webhook.urls.length > 0 && config.webhook.secret) {
      adapters.push(createWebhookAdapter({ db: database.db, urls: config.webhook.urls, secret: config.webhook.secret, publicBaseUrl: config.http.publicBaseUrl, logger, clock }));
    }
    if (config.pagerduty.routingKey) {
      adapters.push(createPagerDutyAdapter({ db: database.db, pager, minScore: config.pagerduty.minScore, publicBaseUrl: config.http.publicBaseUrl, logger, mode: config.policy.mode }));
    }
  }
  channels.push(...adapters.map((a) => a.channel));
  const dispatcher = createDispatcher({
    db: database.db,
    metrics,
    adapters,
    logger: logger.child({ part: 'dispatcher' }),
    clock,
    holder: replica,
    ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}),
  });
  const handlers = {
    ...DEFAULT_TIMER_HANDLERS,
    escalate: escalateTimer,
    // Daily, one replica at a time (the timer's lease), then schedules tomorrow's run.
    retention: async (d: ServiceDeps) => {
      const r = await runRetention(d.db, config.license.tier, d.clock.now(), 'system:retention');
      d.logger.info({ ...r, tier: config.license.tier }, 'retention purge done');
      await scheduleRetention(nextRetentionRun(d.clock.now()));
    },
  };
  // Lanes: reasoning in a bounded pool of its own, every other timer kind in a lane of its own.
  const runner = createTimerRunner(deps, { holder: replica, ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}) });
  const lanes = createTimerLanes(deps, runner, handlers);
  const pool = createReasoningPool(deps, {
    runner,
    concurrency: config.agent.reasoningConcurrency,
    deadlineMs: config.agent.reasoningDeadlineMs,
    onSlotFree: () => reasoningPause.wake(),
  });

  let stopping = false;
  const routes: RouteHandler[] = [];
  const brake = createAuthBrake({ now: () => clock.nowMs(), logger: logger.child({ part: 'auth' }), metrics, trustedProxies: config.http.trustedProxies });
  // No operator tokens: one random token (192 bits) of the operator `local`, printed once at start,
  // kept only in memory; with a session key as short-lived, a restart ends both.
  const localToken = config.api.tokens.length === 0 ? randomBytes(24).toString('base64url') : undefined;
  {
    // Otherwise the session key is derived from the operators' tokens: stable across replicas, secret as they are.
    const sessionSecret = localToken
      ? randomBytes(32).toString('hex')
      : createHash('sha256').update(`sre-console\0${config.api.tokens.map((t) => `${t.name}:${t.token}`).join(',')}\0${config.email.linkSecret ?? ''}`).digest('hex');
    const apiTokens = localToken ? [{ name: LOCAL_OPERATOR, token: localToken }] : config.api.tokens;
    const consoleApp = createConsole({ deps, apiTokens, sessionSecret, publicBaseUrl: config.http.publicBaseUrl, linkSecret: config.email.linkSecret, signInLink: localToken !== undefined, brake });
    routes.push((req, res, url) => consoleApp.handle(req, res, url));
  }
  let consumer: StreamConsumer | undefined;
  const auditDead = auditDeadLetter(deps);
  if (config.bus.redisUrl) {
    consumer = createStreamConsumer({
      redisUrl: config.bus.redisUrl,
      stream: config.bus.stream,
      group: config.bus.consumerGroup,
      consumer: replica,
      claimIdleMs: config.bus.claimIdleMs,
      logger: logger.child({ part: 'stream' }),
      handleBatch: streamBatchHandler(deps),
      onDeadLetter: async (entry, error) => {
        metrics.eventsIngested.inc({ type: 'unknown', outcome: 'dead_lettered' });
        await auditDead(entry, error);
      },
    });
  }
  const server = createWebServer({
    deps,
    logger,
    ingestToken: config.ingest.token,
    apiTokens: config.api.tokens,
    routes,
    brake,
    metrics,
    ...(slack?.handler ? { slack: slack.handler } : {}),
    ready: async () => {
      const db = await database.ready();
      const checks: Record<string, unknown> = { database: db.detail, shutting_down: stopping };
      let ok = db.ok && !stopping;
      if (consumer) {
        const st = consumer.status();
        checks.redis_consumer = st.connected ? 'attached' : `detached${st.lastError ? `: ${st.lastError}` : ''}`;
        ok &&= st.connected;
      }
      if (slack) {
        const connected = await slack.installation().then(() => true, () => false);
        checks.slack = connected ? 'connected' : 'auth.test failed';
        ok &&= connected;
      }
      return { ok, checks };
    },
  });

  const collectDb = databaseCollector(metrics, database.db, clock);
  metrics.setCollector(async () => {
    await collectDb();
    const { lag, pending } = consumer?.status() ?? {};
    if (lag !== undefined) metrics.consumerLag.set(lag);
    if (pending !== undefined) metrics.streamPending.set(pending);
  });

  async function scheduleRetention(at: Date): Promise<void> {
    await database.db
      .insert(schema.timers)
      .values({ kind: 'retention', key: `retention:${at.toISOString().slice(0, 10)}`, runAt: at, payload: {} })
      .onConflictDoNothing();
  }

  let lastReconcile = 0;
  async function tick(): Promise<void> {
    await Promise.all(lanes.map((l) => l.runOnce()));
    await pool.drain();
    await dispatcher.runOnce();
    await periodic();
    await pool.drain();
  }

  async function periodic(): Promise<void> {
    if (clock.nowMs() - lastReconcile > 30_000 || opts.loopMs === 0) {
      lastReconcile = clock.nowMs();
      await reconcileExecutions(deps, opts.reconcileStaleMs ?? 60_000);
      await closeQuietIncidents(deps, config.lifecycle.incidentQuietMs);
      const orphans = await orphanIncidents(deps);
      for (const id of orphans) {
        logger.warn({ incident_id: id }, 'open incident without a proposal: queueing it for reasoning');
        await rearmPropose(deps, id);
      }
      if (orphans.length > 0) wake();
    }
  }

  const loops: Promise<void>[] = [];
  const loopMs = opts.loopMs ?? 500;
  // One loop a lane: a slow model holds only the reasoning pool's slots, never expiry, escalation,
  // restore, retention, reconciliation or the outbox, and none of those holds up another.
  async function runLoop(name: string, work: () => Promise<unknown>, sleepMs: () => number = () => loopMs, own?: typeof reasoningPause): Promise<void> {
    while (!stopping) {
      try {
        await work();
      } catch (e) {
        logger.error({ err: e, loop: name }, 'background work failed; retrying');
      }
      if (stopping) break;
      // A commit anywhere wakes every loop; a freed reasoning slot wakes only the pool's.
      await (own ?? pauses).sleep(sleepMs());
    }
  }

  return {
    deps,
    database,
    server,
    dispatcher,
    logger,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.http.port, () => resolve());
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.http.port;
      logger.info({ port, replica }, `SRE agent listening on http://localhost:${port}`);
      // The one line that ever holds this token: no audit row, no other log line, no file.
      if (localToken) logger.info(`console: open ${config.http.publicBaseUrl}/sre/login?token=${localToken} to sign in as "${LOCAL_OPERATOR}" (valid until the agent stops; set SRE_API_TOKENS for named operators)`);
      await scheduleRetention(deps.clock.now());
      // Restarted under the same name: what this replica held when it died is due again at once.
      const released = await releaseOwnLeases(database.db, replica);
      if (released.timers + released.outbox > 0) logger.info({ replica, ...released }, 'took back the work this replica held before it restarted');
      await recordModeChange(deps);
      if (loopMs > 0) {
        loops.push(runLoop('reasoning', () => pool.fill(), () => loopMs, reasoningPause));
        for (const lane of lanes) loops.push(runLoop(`timers:${lane.name}`, () => lane.runOnce()));
        loops.push(runLoop('maintenance', () => periodic()));
        loops.push(runLoop('outbox', () => dispatcher.runOnce(), () => Math.min(loopMs, dispatcher.nextWakeInMs() ?? loopMs)));
      }
      await slack?.start();
      await consumer?.start();
      return port;
    },
    async stop() {
      stopping = true;
      // Readiness fails first; unacked stream entries stay pending for the next start.
      await consumer?.stop();
      await slack?.stop();
      wake();
      await Promise.all(loops);
      // Reasoning runs are bounded by the deadline: let them record their proposals.
      await pool.idle();
      runner.keeper.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      });
      if (!opts.database) await database.close();
      logger.info('SRE agent stopped');
    },
    tick,
  };
}
