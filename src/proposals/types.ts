import type { Logger } from 'pino';
import type postgres from 'postgres';
import type { Gateway, Pager } from '../actions/gateway.js';
import type { Reasoner } from '../agent/reasoner.js';
import type { Db } from '../db/client.js';
import type { Channel } from '../domain/notifications.js';
import type { RiskFactor } from '../domain/risk.js';
import type { Metrics } from '../metrics.js';

/** Everything the service verbs need, passed in one options object (no globals, no env). */
export interface ServiceDeps {
  db: Db;
  gateway: Gateway;
  pager: Pager;
  reasoner: Reasoner;
  logger: Logger;
  /** Channels with configuration: the outbox rows written for each step. */
  channels: readonly Channel[];
  policy: { riskThreshold: number; autoApprove: boolean; timeZone: string; criticalTeams: readonly string[] };
  lifecycle: { escalateAfterMs: number; proposalTtlMs: number; incidentQuietMs?: number };
  publicBaseUrl: string;
  now: () => Date;
  /** Prometheus counters; absent in tools that do not serve /metrics (CLI one-shots). */
  metrics?: Metrics;
  /** PostgreSQL's own client for COPY (CSV export); absent on the embedded PGlite. */
  copyClient?: () => postgres.Sql;
  /** Wakes the background workers after a commit (durable work is in the db either way). */
  poke?: () => void;
}

/** A proposal as JSON (CONTRACT.md "HTTP"): the shape every adapter shows. */
export interface ProposalView {
  id: string;
  incident_id: string;
  status: string;
  action: string;
  params: Record<string, unknown>;
  target: string;
  risk_score: number;
  risk_factors: RiskFactor[];
  route: string;
  reasoning: string;
  reasoner: string;
  fallback_reason: string | null;
  reversible: boolean;
  created_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_via: string | null;
  decided_at: string | null;
  decision_reason: string | null;
  result: Record<string, unknown> | null;
  superseded_by: string | null;
  escalated_at: string | null;
  reverted_at: string | null;
  reverted_by: string | null;
  incident: {
    id: string;
    key: string;
    type: string;
    subject: string;
    status: string;
    first_seen: string;
    last_seen: string;
    event_count: number;
    latest: Record<string, unknown>;
    slack_channel: string | null;
    slack_ts: string | null;
  };
  links: { console: string };
}
