import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createGateway, createPager, type Gateway } from './actions/index.js';
import { createClaudeNarrator } from './agent/claude/narrative.js';
import { createClaudeReasoner } from './agent/claude/reasoner.js';
import { PlaybookReasoner } from './agent/playbook/index.js';
import type { Reasoner } from './agent/reasoner.js';
import { auditCheckpointJob, fileSink, type CheckpointSink } from './audit/checkpoint.js';
import { nextRetentionRun, runRetention } from './audit/retention.js';
import { systemClock, type Clock } from './clock.js';
import { describeDefaults, describeGaps, describePagingGaps, type Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { isDomainError } from './domain/errors.js';
import { REASONING_LATE_AFTER_MS, REASONING_LATE_EVERY_MS } from './domain/lateness.js';
import type { Channel } from './domain/notifications.js';
import { PEOPLE_UNSET_WARNING } from './domain/people.js';
import { closeQuietIncidents } from './ingest/close-quiet.js';
import { createStreamConsumer, type StreamConsumer } from './ingest/redis-consumer.js';
import { auditDeadLetter, streamBatchHandler } from './ingest/stream/wiring.js';
import { createCatalog, createJobRunner, createLanes, createPool, createWorkers, enqueue, job, releaseOwnLeases, type Catalog, type JobRunner } from './jobs/index.js';
import { createHeartbeat, heartbeatKeys, postgresHeartbeats, redisHeartbeats, type Heartbeat } from './jobs/heartbeat.js';
import { createTakeover, type Takeover } from './jobs/takeover.js';
import { createLogger, wantsPretty } from './logger.js';
import { createMetrics, databaseCollector, type Metrics } from './metrics.js';
import type { ChannelAdapter } from './notify/adapter.js';
import { createDispatcher, type Dispatcher } from './notify/dispatcher.js';
import { createEmailAdapter } from './notify/email.js';
import { createPagerDutyAdapter } from './notify/pagerduty.js';
import { createSlackAdapter } from './notify/slack/index.js';
import { createWebhookAdapter, signWebhook } from './notify/webhook.js';
import { releaseSilenced, silenceEndJob } from './silences/index.js';
import { noteLateReasoning, proposalJobs, rearmOrphans, recordModeChange, type ServiceDeps } from './proposals/index.js';
import { createSlackApp, type SlackApp } from './slack/app.js';
import { createAuthBrake, type AuthBrake } from './web/brake.js';
import { createConsole } from './web/console/index.js';
import { createWebServer } from './web/server.js';
import { loadRunbooks, RunbookError, type Runbook } from './agent/runbooks/index.js';
import { startTracing, type Tracing } from './telemetry/index.js';

export class StartupError extends Error {}

/** The operator a console session opened with the start-up sign-in link acts as. */
export const LOCAL_OPERATOR = 'local';
const UNLICENSED = new Set(['trial', 'team']);

export interface ServiceDepsOptions {
  logger?: Logger;
  /** An open, migrated database (tests, the CLI); unset: the configured one, opened and migrated. */
  database?: Database;
  /** The one clock (default: the system's); tests pass a test clock. */
  clock?: Clock;
  gateway?: Gateway;
  reasoner?: Reasoner;
  /** The channels outbox rows are written for; unset: the configured ones. */
  channels?: readonly Channel[];
  /** Lease of claimed jobs and outbox rows (default 15 s); tests shorten it. */
  leaseMs?: number;
  /** Executions `executing` at least this long are reconciled (default 60 s; tests use 0). */
  reconcileStaleMs?: number;
  /** Runbooks already loaded (tests); unset: loaded from SRE_RUNBOOK_DIR. */
  runbooks?: readonly Runbook[];
}

/** What every process of the agent shares: the services' dependencies and the job machinery. */
export interface Services {
  deps: ServiceDeps;
  database: Database;
  catalog: Catalog<ServiceDeps>;
  runner: JobRunner;
  /** The replica's name: the stream consumer's, and the holder of the work it leases. */
  replica: string;
  metrics: Metrics;
  /** OpenTelemetry traces: off (nothing built) unless an OTLP endpoint is configured. */
  tracing: Tracing;
  /** Flushes traces (bounded), then closes the database when this call opened it. */
  close(): Promise<void>;
}

/** How long stopping waits for queued spans to reach the collector: a hanging one never holds up the drain longer. */
const TRACE_FLUSH_MS = 3_000;

/**
 * The one composition root of the services (ARCHITECTURE.md): main, the CLI, the bench and the tests
 * build their dependencies here, so a default is written once.
 */
export async function buildServiceDeps(config: Config, opts: ServiceDepsOptions = {}): Promise<Services> {
  if (UNLICENSED.has(config.license.tier)) {
    throw new StartupError(
      `The SRE agent is not included in the ${config.license.tier} tier (SCUTUM_LICENSE_TIER=${config.license.tier}); it is part of the business and enterprise tiers.`,
    );
  }
  const runbooks = opts.runbooks ?? startRunbooks(config.agent.runbookDir);
  const logger = opts.logger ?? createLogger({ level: config.logLevel, pretty: wantsPretty(process.stdout, config.env) });
  if (config.agent.runbookDir !== undefined) logger.info({ runbook_dir: config.agent.runbookDir, runbooks: runbooks.map((r) => r.path) }, `runbooks: ${runbooks.length} loaded and validated from SRE_RUNBOOK_DIR`);
  const clock = opts.clock ?? systemClock;
  const database = opts.database ?? (await openDatabase(config.storage));
  if (!opts.database) await database.migrate();
  const metrics = createMetrics({ logger });
  const tracing = startTracing(config.telemetry, { clock, onDropped: (n, reason) => metrics.traceSpansDropped.inc({ reason }, n) });
  const pager = createPager(config.pagerduty, logger);
  const deps: ServiceDeps = {
    db: database.db,
    ...(database.openCopyClient ? { copyClient: database.openCopyClient } : {}),
    gateway: opts.gateway ?? createGateway(config.adminApi, logger, clock),
    pager,
    reasoner: opts.reasoner ?? buildReasoner(config, logger, clock),
    ...(config.agent.anthropicApiKey ? { narrator: createClaudeNarrator({ apiKey: config.agent.anthropicApiKey, baseURL: config.agent.anthropicBaseUrl, model: config.agent.model, logger, clock }) } : {}),
    logger,
    channels: opts.channels ?? configuredChannels(config),
    policy: { ...config.policy },
    safety: { ...config.safety },
    maintenance: config.maintenance,
    lifecycle: { ...config.lifecycle },
    publicBaseUrl: config.http.publicBaseUrl,
    clock,
    metrics,
    runbooks,
  };
  const replica = config.bus.consumerName ?? `${hostname()}-${process.pid}`;
  const catalog = buildCatalog(config, opts.reconcileStaleMs ?? 60_000);
  const runner = createJobRunner(deps, catalog, { holder: replica, isFinal: isDomainError, ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}) });
  deps.jobs = runner;
  return {
    deps,
    database,
    catalog,
    runner,
    replica,
    metrics,
    tracing,
    close: async () => {
      await tracing.shutdown(TRACE_FLUSH_MS);
      if (!opts.database) await database.close();
    },
  };
}

/** A malformed runbook stops the start before anything opens, naming each file and line. */
function startRunbooks(dir: string | undefined): readonly Runbook[] {
  try {
    return loadRunbooks(dir);
  } catch (e) {
    if (e instanceof RunbookError) throw new StartupError(e.message);
    throw e;
  }
}

function buildReasoner(config: Config, logger: Logger, clock: Clock): Reasoner {
  const playbook = new PlaybookReasoner({ logger });
  if (!config.agent.anthropicApiKey) return playbook;
  return createClaudeReasoner({
    apiKey: config.agent.anthropicApiKey,
    baseURL: config.agent.anthropicBaseUrl,
    model: config.agent.model,
    logger,
    fallback: playbook,
    clock,
    limits: { wallTimeMs: config.agent.reasoningDeadlineMs },
  });
}

/** The channels whose configuration is complete: outbox rows are written for these, and only these have adapters. */
export function configuredChannels(config: Config): Channel[] {
  const e = config.email;
  return [
    ...(config.slack.botToken && config.slack.incidentChannel ? (['slack'] as const) : []),
    ...(e.sendgridApiKey && e.from && e.linkSecret && e.to.length > 0 ? (['email'] as const) : []),
    ...(config.webhook.urls.length > 0 && config.webhook.secret ? (['webhook'] as const) : []),
    ...(config.pagerduty.routingKey ? (['pagerduty'] as const) : []),
  ];
}

/** Every job kind joined to its handler: the one place to read to learn what runs in the background. */
export function buildCatalog(config: Config, reconcileStaleMs: number): Catalog<ServiceDeps> {
  return createCatalog<ServiceDeps>({
    ...proposalJobs({ reconcileStaleMs }),
    close_quiet: async (deps) => {
      await closeQuietIncidents(deps, config.lifecycle.incidentQuietMs);
      // Maintenance windows end without a job of their own: held incidents are released here too.
      await releaseSilenced(deps);
      await rearmOrphans(deps);
    },
    silence_end: silenceEndJob,
    // Every SRE_AUDIT_CHECKPOINT_INTERVAL, one replica at a time: the signed head, outside the database.
    audit_checkpoint: auditCheckpointJob({ key: config.audit.signingKey, sink: checkpointSink(config) }),
    // Daily, one replica at a time (the job's lease), then tomorrow's run.
    retention: async (deps) => {
      const r = await runRetention(deps.db, config.license.tier, 'system:retention');
      deps.logger.info({ ...r, tier: config.license.tier }, 'retention purge done');
      await scheduleRetention(deps, nextRetentionRun(deps.clock.now()));
    },
  }, { everyMs: { audit_checkpoint: config.audit.checkpointIntervalMs } });
}

/** SRE_AUDIT_CHECKPOINTS: `webhook` posts each checkpoint to the webhook channel's URLs (signed as its messages are), anything else is a file. */
function checkpointSink(config: Config): CheckpointSink | undefined {
  const to = config.audit.checkpoints;
  if (!to) return undefined;
  if (to !== 'webhook') return fileSink(to);
  return async (cp) => {
    const body = JSON.stringify({ kind: 'audit.checkpoint', checkpoint: cp });
    const timestamp = String(Math.floor(Date.parse(cp.at) / 1000));
    for (const url of config.webhook.urls) {
      const res = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/json', 'x-sre-timestamp': timestamp, 'x-sre-signature': signWebhook(config.webhook.secret ?? '', timestamp, body) },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`audit checkpoint webhook answered ${res.status}`);
    }
  };
}

const scheduleRetention = (deps: Pick<ServiceDeps, 'db'>, at: Date) => enqueue(deps.db, job('retention', `retention:${at.toISOString().slice(0, 10)}`, at, {}));

function buildAdapters(config: Config, deps: ServiceDeps, slack: SlackApp | undefined): ChannelAdapter[] {
  const common = { db: deps.db, publicBaseUrl: config.http.publicBaseUrl, logger: deps.logger, clock: deps.clock };
  const e = config.email;
  return deps.channels.map((c): ChannelAdapter => {
    switch (c) {
      case 'slack':
        return createSlackAdapter({ ...common, client: slack!.client, channel: config.slack.incidentChannel!, policy: deps.policy });
      case 'email':
        return createEmailAdapter({ ...common, apiKey: e.sendgridApiKey!, apiUrl: e.sendgridApiUrl, from: e.from!, to: e.to, linkSecret: e.linkSecret! });
      case 'webhook':
        return createWebhookAdapter({ ...common, urls: config.webhook.urls, secret: config.webhook.secret! });
      case 'pagerduty':
        return createPagerDutyAdapter({ db: deps.db, pager: deps.pager, minScore: config.pagerduty.minScore, publicBaseUrl: config.http.publicBaseUrl, logger: deps.logger, mode: config.policy.mode });
    }
  });
}

export interface Agent {
  deps: ServiceDeps;
  database: Database;
  server: Server;
  dispatcher: Dispatcher;
  logger: Logger;
  /** OpenTelemetry traces (off unless configured); stop() flushes them with a bound. */
  tracing: Tracing;
  /** Listens on the configured port (0 picks a free one); resolves with the bound port. */
  start(): Promise<number>;
  /** Stops taking work (readiness fails first), finishes in-flight work, closes connections. */
  stop(): Promise<void>;
  /** One pass of the background work (jobs, outbox, reconciliation): tests drive it directly. */
  tick(): Promise<void>;
}

export interface AgentOptions extends Omit<ServiceDepsOptions, 'channels'> {
  /** Background loop period; 0 disables the loops (tests call tick()). */
  loopMs?: number;
  /** Channel adapters instead of the configured ones (tests). */
  adapters?: ChannelAdapter[];
  /** How long stop() lets work in flight finish before handing its leases back (default 15 s). */
  drainMs?: number;
}

/** SIGTERM to exit within Kubernetes' 30 s grace: 15 s for work in flight, the rest to hand back and close. */
const DRAIN_MS = 15_000;

/** The agent process: the services, their workers, the HTTP server, Slack and the stream consumer. */
export async function createAgent(config: Config, opts: AgentOptions = {}): Promise<Agent> {
  const s = await buildServiceDeps(config, { ...opts, ...(opts.adapters ? { channels: opts.adapters.map((a) => a.channel) } : {}) });
  const { deps, metrics } = s;
  const logger = deps.logger;
  for (const line of describeDefaults(config)) logger.info(line);
  for (const line of describePagingGaps(config)) logger.warn(line);
  for (const line of describeGaps(config)) logger.warn(line);
  if (!config.policy.people) logger.warn(PEOPLE_UNSET_WARNING);
  const slack = config.slack.botToken && !opts.adapters ? buildSlack(config, deps) : undefined;
  const adapters = opts.adapters ?? buildAdapters(config, deps, slack);
  const dispatcher = createDispatcher({ db: deps.db, metrics, adapters, logger: logger.child({ part: 'dispatcher' }), clock: deps.clock, holder: s.replica, ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}) });
  const pool = createPool(deps, s.catalog, {
    runner: s.runner,
    concurrency: config.agent.reasoningConcurrency,
    deadlineMs: config.agent.reasoningDeadlineMs,
    lateAfterMs: REASONING_LATE_AFTER_MS,
    lateEveryMs: REASONING_LATE_EVERY_MS,
    onLate: (row) => noteLateReasoning(deps, String(row.payload.incident_id)),
    onSlotFree: () => workers.wakeReasoning(),
    onInFlight: (n) => metrics.reasoningInFlight.set(n),
  });
  const workers = createWorkers({ db: deps.db, clock: deps.clock, logger, lanes: createLanes(s.catalog, s.runner), pool, outbox: dispatcher, loopMs: opts.loopMs ?? 500 });
  deps.poke = () => workers.wake();
  const consumer = config.bus.redisUrl ? buildConsumer(config, deps, s.replica) : undefined;
  const liveness = buildLiveness(config, deps, { replica: s.replica, consumer, wake: () => workers.wake(), renew: () => void s.runner.queue.keeper.renew().then(() => dispatcher.renew()) });
  let stopping = false;
  const server = buildServer(config, deps, { slack, consumer, database: s.database, stopping: () => stopping });
  metrics.setCollector(collector(deps, consumer));
  // Configured checkpoints count from the start, so one never written alerts (SreAgentAuditCheckpointLate); unconfigured, the gauge stays 0.
  if (config.audit.signingKey && config.audit.checkpoints) metrics.auditCheckpointLastSuccess.set(deps.clock.nowMs() / 1000);
  return {
    deps,
    database: s.database,
    server: server.server,
    dispatcher,
    logger,
    tracing: s.tracing,
    async start() {
      const port = await listen(server.server, config.http.port);
      logger.info({ port, replica: s.replica }, `SRE agent listening on http://localhost:${port}`);
      // The one line that ever holds this token: no audit row, no other log line, no file.
      if (server.localToken) logger.info(`console: open ${config.http.publicBaseUrl}/sre/login?token=${server.localToken} to sign in as "${LOCAL_OPERATOR}" (valid until the agent stops; set SRE_API_TOKENS for named operators)`);
      await scheduleRetention(deps, deps.clock.now());
      // Restarted under the same name: what this replica held when it died is due again at once.
      const released = await releaseOwnLeases(deps.db, s.replica);
      if (released.timer + released.outbox > 0) logger.info({ replica: s.replica, timers: released.timer, outbox: released.outbox }, 'took back the work this replica held before it restarted');
      await recordModeChange(deps);
      // Beating before any work is taken: peers know this replica from its first claim on.
      await liveness.heartbeat.start();
      await workers.start();
      await slack?.start();
      await consumer?.start();
      liveness.takeover.start();
      return port;
    },
    async stop() {
      stopping = true;
      // Readiness fails first; unacked stream entries stay pending for the next start.
      await liveness.takeover.stop();
      await consumer?.stop();
      await slack?.stop();
      await workers.stop(opts.drainMs ?? DRAIN_MS);
      // What still runs (a slow model) is handed back, for a peer to take now rather than when its lease ends.
      const handed = (await s.runner.queue.keeper.handBack()) + (await dispatcher.handBack());
      if (handed > 0) logger.info({ handed_back: handed }, 'handed unfinished work back to the other replicas');
      // Last: a peer that finds it gone now finds nothing held any more.
      await liveness.heartbeat.stop();
      s.runner.stop();
      await close(server.server);
      await s.close();
      logger.info('SRE agent stopped');
    },
    tick: () => workers.tick(),
  };
}

function buildSlack(config: Config, deps: ServiceDeps): SlackApp {
  return createSlackApp({
    deps,
    botToken: config.slack.botToken!,
    signingSecret: config.slack.signingSecret,
    appToken: config.slack.appToken,
    apiUrl: config.slack.apiUrl,
    incidentChannel: config.slack.incidentChannel,
    approvers: config.slack.approvers,
    logger: deps.logger.child({ part: 'slack' }),
  });
}

interface LivenessParts {
  replica: string;
  consumer: StreamConsumer | undefined;
  /** Work was released or claimed: the loops look now. */
  wake: () => void;
  /** This replica's heartbeat had lapsed: its leases are checked now (those a peer took are dropped). */
  renew: () => void;
}

/**
 * The replica's heartbeat (a Redis key with Redis, falling back to PostgreSQL while Redis is
 * unreachable; a PostgreSQL row without Redis) and the takeover of peers whose heartbeat is gone.
 */
function buildLiveness(config: Config, deps: ServiceDeps, parts: LivenessParts): { heartbeat: Heartbeat; takeover: Takeover } {
  const { redisUrl, stream, consumerGroup } = config.bus;
  const pg = postgresHeartbeats(deps.db);
  const primary = redisUrl ? redisHeartbeats({ redisUrl, stream, group: consumerGroup }) : pg;
  const heartbeat = createHeartbeat({ name: parts.replica, ttlMs: config.replicas.heartbeatTtlMs, clock: deps.clock, logger: deps.logger, primary, fallback: redisUrl ? pg : undefined });
  const keys = heartbeatKeys(stream, consumerGroup);
  const consumer = parts.consumer;
  heartbeat.onLapse(() => {
    consumer?.rereadOwn();
    parts.renew();
  });
  const takeover = createTakeover({
    heartbeat,
    db: deps.db,
    clock: deps.clock,
    logger: deps.logger,
    stream: consumer ? (gone) => consumer.takeOver(gone, keys.key(gone)) : undefined,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    onTakenOver: parts.wake,
  });
  return { heartbeat, takeover };
}

function buildConsumer(config: Config, deps: ServiceDeps, replica: string): StreamConsumer {
  const auditDead = auditDeadLetter(deps);
  return createStreamConsumer({
    redisUrl: config.bus.redisUrl!,
    stream: config.bus.stream,
    group: config.bus.consumerGroup,
    consumer: replica,
    claimIdleMs: config.bus.claimIdleMs,
    handlerTimeoutMs: config.bus.handlerTimeoutMs,
    clock: deps.clock,
    logger: deps.logger.child({ part: 'stream' }),
    handleBatch: streamBatchHandler(deps),
    onHandlerTimeout: () => deps.metrics?.streamHandlerTimeouts.inc(),
    onIdleClaim: () => deps.metrics?.takeovers.inc({ cause: 'stream_idle' }),
    onDeadLetter: async (entry, error) => {
      deps.metrics?.eventsIngested.inc({ type: 'unknown', outcome: 'dead_lettered' });
      await auditDead(entry, error);
    },
  });
}

interface ServerParts {
  slack: SlackApp | undefined;
  consumer: StreamConsumer | undefined;
  database: Database;
  stopping: () => boolean;
}

/** The HTTP server with the console mounted; with no operator tokens, the one-time sign-in token of `local`. */
function buildServer(config: Config, deps: ServiceDeps, parts: ServerParts): { server: Server; localToken: string | undefined } {
  const brake: AuthBrake = createAuthBrake({ now: () => deps.clock.nowMs(), logger: deps.logger.child({ part: 'auth' }), metrics: deps.metrics, trustedProxies: config.http.trustedProxies });
  // No SRE_API_TOKENS: one random token (192 bits), printed once at start, kept only in memory; the
  // session key is as short-lived, so a restart ends both. Otherwise the key is derived from the
  // operators' tokens: stable across replicas, secret as they are.
  const localToken = config.api.tokens.length === 0 ? randomBytes(24).toString('base64url') : undefined;
  const sessionSecret = localToken
    ? randomBytes(32).toString('hex')
    : createHash('sha256').update(`sre-console\0${config.api.tokens.map((t) => `${t.name}:${t.token}`).join(',')}\0${config.email.linkSecret ?? ''}`).digest('hex');
  const apiTokens = localToken ? [{ name: LOCAL_OPERATOR, token: localToken }] : config.api.tokens;
  const said = new Map<string, string>();
  const consoleApp = createConsole({ deps, apiTokens, sessionSecret, publicBaseUrl: config.http.publicBaseUrl, linkSecret: config.email.linkSecret, signInLink: localToken !== undefined, brake, traceUrl: config.telemetry.traceUrl });
  const server = createWebServer({
    deps,
    logger: deps.logger,
    ingestToken: config.ingest.token,
    apiTokens: config.api.tokens,
    routes: [(req, res, url) => consoleApp.handle(req, res, url)],
    brake,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(parts.slack?.handler ? { slack: parts.slack.handler } : {}),
    ready: () => readiness(parts, deps.logger.child({ part: 'readiness' }), said),
  });
  return { server, localToken };
}

/**
 * What /readyz shows anyone: each check in words (attached, detached, unreachable), never the
 * driver's error text with its internal host and port; that goes to the log, once per change.
 */
async function readiness(parts: ServerParts, logger: Logger, said: Map<string, string>): Promise<{ ok: boolean; checks: Record<string, unknown> }> {
  const note = (check: string, detail: string | undefined) => {
    if (detail && said.get(check) !== detail) logger.warn({ check, detail }, 'readiness check failing');
    if (detail) said.set(check, detail);
    else said.delete(check);
  };
  const db = await parts.database.ready();
  note('database', db.ok ? undefined : db.detail);
  const checks: Record<string, unknown> = { database: db.ok || !db.detail.startsWith('database unreachable') ? db.detail : 'unreachable', shutting_down: parts.stopping() };
  let ok = db.ok && !parts.stopping();
  if (parts.consumer) {
    const st = parts.consumer.status();
    note('redis_consumer', st.connected ? undefined : st.lastError ?? 'not connected');
    checks.redis_consumer = st.connected ? 'attached' : 'detached (the stream is unreachable; see the log)';
    ok &&= st.connected;
  }
  if (parts.slack) {
    const connected = await parts.slack.installation().then(() => true, () => false);
    checks.slack = connected ? 'connected' : 'auth.test failed';
    ok &&= connected;
  }
  return { ok, checks };
}

function collector(deps: ServiceDeps, consumer: StreamConsumer | undefined): () => Promise<void> {
  const collectDb = databaseCollector(deps.metrics!, deps.db, deps.clock);
  return async () => {
    await collectDb();
    const { lag, pending } = consumer?.status() ?? {};
    if (lag !== undefined) deps.metrics?.consumerLag.set(lag);
    if (pending !== undefined) deps.metrics?.streamPending.set(pending);
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5_000).unref();
  });
}
