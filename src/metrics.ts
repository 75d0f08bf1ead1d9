import { systemClock, type Clock } from './clock.js';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { queryRows, type Executor } from './db/client.js';
import { PROPOSAL_STATUSES } from './domain/proposal.js';
import { VERIFICATION_STATUSES } from './domain/proposal-view.js';

/** The metric names `/metrics` exposes (beside prom-client's default process metrics); docs/deploy.md lists them. */
export const METRIC_NAMES = [
  'sre_events_ingested_total',
  'sre_incidents_open',
  'sre_proposals_total',
  'sre_proposals_current',
  'sre_decisions_total',
  'sre_executions_total',
  'sre_notifications_total',
  'sre_model_calls_total',
  'sre_model_tokens_total',
  'sre_model_fallbacks_total',
  'sre_consumer_lag',
  'sre_dispatcher_queue_depth',
  'sre_http_request_duration_seconds',
  'sre_metrics_collect_errors_total',
  'sre_reasoning_in_flight',
  'sre_work_due',
  'sre_lease_renewals_total',
  'sre_lease_expiries_total',
  'sre_model_call_duration_seconds',
  'sre_incident_to_proposal_seconds',
  'sre_agent_paused',
  'sre_auth_failures_total',
  'sre_ready',
  'sre_stream_pending',
  'sre_stream_handler_timeouts_total',
  'sre_gate_refusals_total',
  'sre_verifications_current',
  'sre_events_silenced_total',
  'sre_audit_checkpoint_last_success_timestamp_seconds',
  'sre_trace_spans_dropped_total',
] as const;

export interface Metrics {
  /** type: event type (or `unknown`); outcome: accepted | duplicate | invalid | dead_lettered. */
  eventsIngested: Counter<'type' | 'outcome'>;
  /** Incidents not yet resolved; set by the collector at scrape time. */
  incidentsOpen: Gauge;
  /** One increment per state transition: status is the state entered (pending, approved, …). */
  proposalsTransitions: Counter<'action' | 'status'>;
  /** Proposals currently in each state; set by the collector at scrape time. */
  proposalsCurrent: Gauge<'status'>;
  /** channel: slack | email | console | api | cli | auto; decision: approve | reject | denied | duplicate. */
  decisions: Counter<'channel' | 'decision'>;
  /** outcome: succeeded | failed | reconciled. */
  executions: Counter<'action' | 'outcome'>;
  /** outcome: sent | retried | dead (gave up after the last attempt). */
  notifications: Counter<'channel' | 'outcome'>;
  /** outcome: ok | error | timeout | invalid. */
  modelCalls: Counter<'outcome'>;
  /** kind: input | output (and cache_read | cache_write when reported). */
  modelTokens: Counter<'kind'>;
  /** Proposals made by the playbook because the model could not answer. */
  modelFallbacks: Counter;
  /** Stream entries not yet delivered to the consumer group plus pending ones. */
  consumerLag: Gauge;
  /** Outbox rows waiting to be sent. */
  dispatcherQueueDepth: Gauge;
  /** route is the route pattern (`/v1/proposals/:id`), never the raw path, to bound cardinality. */
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Incidents this replica is reasoning about now (at most SRE_REASONING_CONCURRENCY). */
  reasoningInFlight: Gauge;
  /** Durable work due now and not held by a live lease, by kind (timer kinds, and `outbox`); set at scrape time. */
  workDue: Gauge<'kind'>;
  /** work: timer | outbox. Leases renewed while their handler ran. */
  leaseRenewals: Counter<'work'>;
  /** work: timer | outbox. Work taken over because its holder's lease ran out (a dead or stalled replica). */
  leaseExpiries: Counter<'work'>;
  /** Replicas whose heartbeat is live, as this replica last saw them (itself included). */
  replicasAlive: Gauge;
  /** cause: heartbeat (a replica's heartbeat gone: its entries and leases taken at once) | lease_expired | stream_idle (the old idle paths). */
  takeovers: Counter<'cause'>;
  /** One Messages API call (its retries included), by outcome: ok | error. */
  modelCallDuration: Histogram<'outcome'>;
  /** From an incident's opening to its first proposal. */
  incidentToProposal: Histogram;
  /** 1 while the kill switch is on (nothing executes), else 0; set by the collector at scrape time. */
  agentPaused: Gauge;
  /** surface: console | api | ingest | decision_link; outcome: refused (wrong credential) | throttled (a wrong one answered 429 after repeated failures). */
  authFailures: Counter<'surface' | 'outcome'>;
  /** 1 while `/readyz` would answer 200, else 0: its checks run at scrape time (see `setReadiness`). */
  ready: Gauge;
  /** Stream entries delivered to the consumer group and not yet acknowledged, all consumers together. */
  streamPending: Gauge;
  /** Batches of stream entries whose handler passed SRE_STREAM_HANDLER_TIMEOUT (given up, entries handed to a peer). */
  streamHandlerTimeouts: Counter;
  /** One per refusal of the gate (gate.ts): check is the refusing check, code what it means (shadow | paused | stale | held). */
  gateRefusals: Counter<'check' | 'code' | 'operation'>;
  /** Proposals by verification status (none | pending | passed | failed | reverted); set by the collector at scrape time. */
  verificationsCurrent: Gauge<'status'>;
  /** Events stored while a silence matched them; matcher is the silence's matcher keys (`provider`, `provider,type`). */
  eventsSilenced: Counter<'matcher'>;
  /** Unix time of the last signed audit checkpoint this replica wrote (unset until one is). */
  auditCheckpointLastSuccess: Gauge;
  /** Trace spans that never reached the collector; reason: queue_full (OTEL_BSP_MAX_QUEUE_SIZE reached) | export_failed (refused, failed or timed out). */
  traceSpansDropped: Counter<'reason'>;
  /** The registry behind `render()`: not prom-client's global one, so several agents (and tests) can coexist. */
  registry: Registry;
  /** The Content-Type header for `render()`'s output. */
  contentType: string;
  /** Runs the collector (gauges read from the database), then renders the Prometheus text format. */
  render(): Promise<string>;
  /** The function that refreshes the scrape-time gauges; the last one set wins. */
  setCollector(fn: () => Promise<void>): void;
  /** The readiness checks behind `/readyz`, for `sre_ready`; the web server hands them over. */
  setReadiness(probe: () => Promise<{ ok: boolean }>): void;
  /** Records one HTTP request: `route` is the matched pattern, never the raw path. */
  observeHttp(method: string, route: string, status: number, seconds: number): void;
}

export interface MetricsOptions {
  /** Collector failures are logged here (and counted), never thrown at the scraper. */
  logger?: Logger;
  /** Default process metrics (CPU, memory, event loop, GC); on unless false. */
  defaultMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // prom-client's gauges named *_total fail `promtool check metrics`; each is only the sum of
    // its labelled twin (nodejs_active_handles{type}, …), so nothing is lost without them.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }
  const registers = [registry];

  const collectErrors = new Counter({
    name: 'sre_metrics_collect_errors_total',
    help: 'Scrapes whose database-backed gauges could not be refreshed (the previous values were served)',
    registers,
  });
  let collector: (() => Promise<void>) | undefined;
  let readiness: (() => Promise<{ ok: boolean }>) | undefined;
  const operations = operationsMetrics(registers);

  const httpRequestDuration = new Histogram({
    name: 'sre_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });

  return {
    ...flowMetrics(registers),
    ...modelMetrics(registers),
    ...workMetrics(registers),
    httpRequestDuration,
    ...operations,
    traceSpansDropped: new Counter({ name: 'sre_trace_spans_dropped_total', help: 'Trace spans dropped instead of exported: queue_full (the batch queue was full) or export_failed (the collector refused, failed or timed out)', labelNames: ['reason'] as const, registers }),
    eventsSilenced: new Counter({ name: 'sre_events_silenced_total', help: 'Events stored while a silence matched them, by the silence matcher keys', labelNames: ['matcher'] as const, registers }),
    registry,
    contentType: registry.contentType,
    async render() {
      if (collector) {
        try {
          await collector();
        } catch (err) {
          // A database hiccup must not blank the process metrics the operator needs most then.
          collectErrors.inc();
          options.logger?.warn({ err }, 'metrics collector failed; serving the previous gauge values');
        }
      }
      // Apart from the collector, so an unreachable database reads as not ready rather than stale.
      if (readiness) operations.ready.set(await readiness().then((r) => (r.ok ? 1 : 0), () => 0));
      return registry.metrics();
    },
    setCollector(fn) {
      collector = fn;
    },
    setReadiness(probe) {
      readiness = probe;
    },
    observeHttp(method, route, status, seconds) {
      httpRequestDuration.observe({ method, route, status: String(status) }, seconds);
    },
  };
}

/** What the alert rules and the dashboard (deploy/) read beside the counters of the flow. */
function operationsMetrics(registers: Registry[]): Pick<Metrics, 'ready' | 'streamPending' | 'streamHandlerTimeouts' | 'gateRefusals' | 'verificationsCurrent' | 'auditCheckpointLastSuccess'> {
  return {
    ready: new Gauge({ name: 'sre_ready', help: '1 while /readyz answers 200 (database migrated, consumer attached, not shutting down), else 0', registers }),
    streamPending: new Gauge({ name: 'sre_stream_pending', help: 'Event stream entries delivered to the consumer group and not yet acknowledged', registers }),
    streamHandlerTimeouts: new Counter({ name: 'sre_stream_handler_timeouts_total', help: 'Batches of stream entries whose handler did not return within SRE_STREAM_HANDLER_TIMEOUT; their entries were handed to a peer', registers }),
    gateRefusals: new Counter({
      name: 'sre_gate_refusals_total',
      help: 'Executions and reverts the gate refused, by check, refusal code and operation',
      labelNames: ['check', 'code', 'operation'] as const,
      registers,
    }),
    verificationsCurrent: new Gauge({
      name: 'sre_verifications_current',
      help: 'Proposals by verification status (none, pending, passed, failed, reverted)',
      labelNames: ['status'] as const,
      registers,
    }),
    auditCheckpointLastSuccess: new Gauge({
      name: 'sre_audit_checkpoint_last_success_timestamp_seconds',
      help: 'Unix time of the last signed audit checkpoint this replica wrote (SRE_AUDIT_CHECKPOINTS)',
      registers,
    }),
  };
}

/**
 * The collector for the database-backed gauges (proposals by state and by verification, open incidents, outbox depth),
 * for `metrics.setCollector(...)`. Consumer lag and pending entries come from the stream consumer, not from here.
 */
export function databaseCollector(metrics: Metrics, db: Executor, clock: Pick<Clock, 'now'> = systemClock): () => Promise<void> {
  const seen = new Set<string>();
  return async () => {
    const t = clock.now().toISOString();
    const [proposals, incidents, outbox, due, paused] = await Promise.all([
      queryRows<{ status: string; verification: string; n: number }>(db, sql`select status, verification_status as verification, count(*)::int as n from proposals group by status, verification_status`),
      queryRows<{ n: number }>(db, sql`select count(*)::int as n from incidents where status = 'open'`),
      queryRows<{ n: number }>(db, sql`select count(*)::int as n from outbox where status = 'pending'`),
      queryRows<{ kind: string; n: number }>(
        db,
        // Due by the agent's clock; leases end by the database's (db/leases.ts).
        sql`select kind, count(*)::int as n from timers where status = 'pending' and run_at <= ${t}::timestamptz and (lease_expires_at is null or lease_expires_at <= clock_timestamp()) group by kind
            union all
            select 'outbox', count(*)::int from outbox where status = 'pending' and next_attempt_at <= ${t}::timestamptz and (lease_expires_at is null or lease_expires_at <= clock_timestamp())`,
      ),
      queryRows<{ n: number }>(db, sql`select count(*)::int as n from agent_switch where paused`),
    ]);
    metrics.agentPaused.set(Number(paused[0]?.n ?? 0) > 0 ? 1 : 0);
    // A kind seen once is reported at 0 when it empties, rather than keeping its last count.
    for (const k of ['propose', 'expire', 'escalate', 'restore', 'retention', 'outbox']) seen.add(k);
    const dueByKind = new Map(due.map((r) => [r.kind, Number(r.n)]));
    for (const k of dueByKind.keys()) seen.add(k);
    for (const kind of seen) metrics.workDue.set({ kind }, dueByKind.get(kind) ?? 0);
    // Every state is set, so a state that empties drops to 0 instead of keeping its last count.
    const byStatus = new Map<string, number>();
    const byVerification = new Map<string, number>();
    for (const r of proposals) {
      byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + Number(r.n));
      byVerification.set(r.verification, (byVerification.get(r.verification) ?? 0) + Number(r.n));
    }
    for (const status of PROPOSAL_STATUSES) metrics.proposalsCurrent.set({ status }, byStatus.get(status) ?? 0);
    for (const status of VERIFICATION_STATUSES) metrics.verificationsCurrent.set({ status }, byVerification.get(status) ?? 0);
    metrics.incidentsOpen.set(Number(incidents[0]?.n ?? 0));
    metrics.dispatcherQueueDepth.set(Number(outbox[0]?.n ?? 0));
  };
}

/** Counts one reasoning run from its trace: model calls, tokens by kind, and a fallback. */
export function recordReasoning(metrics: Metrics | undefined, trace: Record<string, unknown> | undefined, fallback: boolean): void {
  if (!metrics) return;
  if (fallback) metrics.modelFallbacks.inc();
  if (!trace || trace.reasoner !== 'claude') return;
  const calls = Array.isArray(trace.calls) ? trace.calls.length : 0;
  for (const c of Array.isArray(trace.calls) ? (trace.calls as { latency_ms?: unknown; response?: unknown }[]) : []) {
    if (typeof c.latency_ms === 'number') metrics.modelCallDuration.observe({ outcome: c.response ? 'ok' : 'error' }, c.latency_ms / 1000);
  }
  if (calls > 0) metrics.modelCalls.inc({ outcome: trace.outcome === 'fallback' ? 'error' : 'ok' }, calls);
  const usage = (trace.usage ?? {}) as Record<string, unknown>;
  const kinds: [string, string][] = [
    ['input_tokens', 'input'],
    ['output_tokens', 'output'],
    ['cache_read_input_tokens', 'cache_read'],
    ['cache_creation_input_tokens', 'cache_write'],
  ];
  for (const [field, kind] of kinds) {
    const n = usage[field];
    if (typeof n === 'number' && n > 0) metrics.modelTokens.inc({ kind }, n);
  }
}

/** The flow of incidents: events in, proposals, decisions, executions, notifications out. */
function flowMetrics(registers: Registry[]): Pick<Metrics, 'eventsIngested' | 'incidentsOpen' | 'proposalsTransitions' | 'proposalsCurrent' | 'decisions' | 'executions' | 'notifications' | 'incidentToProposal'> {
  return {
    eventsIngested: new Counter({
      name: 'sre_events_ingested_total',
      help: 'Events received, by event type and outcome',
      labelNames: ['type', 'outcome'] as const,
      registers,
    }),
    incidentsOpen: new Gauge({ name: 'sre_incidents_open', help: 'Incidents currently open', registers }),
    proposalsTransitions: new Counter({
      name: 'sre_proposals_total',
      help: 'Proposal state transitions, by action and the state entered',
      labelNames: ['action', 'status'] as const,
      registers,
    }),
    proposalsCurrent: new Gauge({
      name: 'sre_proposals_current',
      help: 'Proposals currently in each state',
      labelNames: ['status'] as const,
      registers,
    }),
    decisions: new Counter({
      name: 'sre_decisions_total',
      help: 'Decisions on proposals, by channel and decision',
      labelNames: ['channel', 'decision'] as const,
      registers,
    }),
    executions: new Counter({
      name: 'sre_executions_total',
      help: 'Action executions, by action and outcome',
      labelNames: ['action', 'outcome'] as const,
      registers,
    }),
    notifications: new Counter({
      name: 'sre_notifications_total',
      help: 'Notification delivery attempts, by channel and outcome (dead: given up)',
      labelNames: ['channel', 'outcome'] as const,
      registers,
    }),
    incidentToProposal: new Histogram({
      name: 'sre_incident_to_proposal_seconds',
      help: 'Time from an incident opening to its first proposal',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 90, 120, 300],
      registers,
    }),
  };
}

/** The reasoning model: calls, tokens, latency, fallbacks. */
function modelMetrics(registers: Registry[]): Pick<Metrics, 'modelCalls' | 'modelTokens' | 'modelFallbacks' | 'modelCallDuration'> {
  return {
    modelCalls: new Counter({
      name: 'sre_model_calls_total',
      help: 'Calls to the reasoning model, by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    modelTokens: new Counter({
      name: 'sre_model_tokens_total',
      help: 'Model tokens used, by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    modelFallbacks: new Counter({
      name: 'sre_model_fallbacks_total',
      help: 'Proposals made by the playbook because the model failed',
      registers,
    }),
    modelCallDuration: new Histogram({
      name: 'sre_model_call_duration_seconds',
      help: 'Messages API call latency (retries included), by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
      registers,
    }),
  };
}

/** Background work and its brakes: the stream, the outbox, leases, the kill switch, sign-in failures. */
function workMetrics(registers: Registry[]): Pick<Metrics, 'consumerLag' | 'dispatcherQueueDepth' | 'agentPaused' | 'reasoningInFlight' | 'workDue' | 'leaseRenewals' | 'leaseExpiries' | 'replicasAlive' | 'takeovers' | 'authFailures'> {
  return {
    consumerLag: new Gauge({
      name: 'sre_consumer_lag',
      help: 'Event stream entries not yet processed by the consumer group',
      registers,
    }),
    dispatcherQueueDepth: new Gauge({
      name: 'sre_dispatcher_queue_depth',
      help: 'Outbox notifications waiting to be delivered',
      registers,
    }),
    agentPaused: new Gauge({ name: 'sre_agent_paused', help: '1 while the kill switch is on (nothing executes), else 0', registers }),
    reasoningInFlight: new Gauge({ name: 'sre_reasoning_in_flight', help: 'Incidents being reasoned about by this replica now', registers }),
    workDue: new Gauge({
      name: 'sre_work_due',
      help: 'Durable work due now and not held by a live lease, by kind (timer kinds and outbox)',
      labelNames: ['kind'] as const,
      registers,
    }),
    leaseRenewals: new Counter({ name: 'sre_lease_renewals_total', help: 'Work leases renewed while their handler ran, by work (timer, outbox)', labelNames: ['work'] as const, registers }),
    leaseExpiries: new Counter({
      name: 'sre_lease_expiries_total',
      help: 'Work taken over because its holder let the lease run out, by work (timer, outbox)',
      labelNames: ['work'] as const,
      registers,
    }),
    replicasAlive: new Gauge({ name: 'sre_replicas_alive', help: 'Replicas whose heartbeat is live, as this replica last read the heartbeats (itself included)', registers }),
    takeovers: new Counter({
      name: 'sre_takeovers_total',
      help: "Work taken from another replica, by cause: heartbeat (its heartbeat gone: one a replica), lease_expired (a lease run out: one a holder a claim), stream_idle (stream entries idle past the claim idle: one a claim)",
      labelNames: ['cause'] as const,
      registers,
    }),
    authFailures: new Counter({
      name: 'sre_auth_failures_total',
      help: 'Wrong console tokens, API bearers, ingest tokens and decision links, by surface; throttled: a wrong one answered 429 after repeated failures on that surface from one address',
      labelNames: ['surface', 'outcome'] as const,
      registers,
    }),

  };
}
