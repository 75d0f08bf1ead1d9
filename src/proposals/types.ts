import type { Logger } from 'pino';
import type postgres from 'postgres';
import type { Gateway, Pager } from '../actions/gateway.js';
import type { Narrator } from '../agent/narrator.js';
import type { Reasoner } from '../agent/reasoner.js';
import type { Runbook } from '../agent/runbooks/index.js';
import type { Db, Tx } from '../db/client.js';
import type { ApproverRules } from '../domain/approver-rules.js';
import type { People } from '../domain/people.js';
import type { Channel } from '../domain/notifications.js';
import type { AgentMode, SafetySettings } from '../domain/policy.js';
import type { MaintenanceWindow } from '../domain/silences.js';
import type { Clock } from '../clock.js';
import type { JobRunner } from '../jobs/index.js';
import type { Metrics } from '../metrics.js';

/** Everything the service verbs need, passed in one options object (no globals, no env). */
export interface ServiceDeps {
  db: Db;
  /** Set when a verb runs inside a caller's transaction (context.ts `withTransaction` joins it). */
  tx?: Tx;
  gateway: Gateway;
  pager: Pager;
  reasoner: Reasoner;
  /** Writes the incident report's optional narrative; absent without ANTHROPIC_API_KEY. */
  narrator?: Narrator;
  logger: Logger;
  /** Channels with configuration: the outbox rows written for each step. */
  channels: readonly Channel[];
  /** approverRules: SRE_APPROVER_RULES; absent: no per-action rules. people: SRE_PEOPLE; absent: each identity counts as a person. */
  /** pageWithoutApproval: SRE_PAGE_WITHOUT_APPROVAL (absent: off). */
  policy: { riskThreshold: number; autoApprove: boolean; timeZone: string; criticalTeams: readonly string[]; mode: AgentMode; twoPersonScore: number; approverRules?: ApproverRules; pageWithoutApproval?: boolean; people?: People };
  safety: SafetySettings;
  lifecycle: { escalateAfterMs: number; proposalTtlMs: number; incidentQuietMs?: number; reconcileMaxAgeMs?: number };
  publicBaseUrl: string;
  /** The one clock (src/clock.ts): every time a verb decides comes from it. */
  clock: Clock;
  /** Prometheus counters; absent in tools that do not serve /metrics (CLI one-shots). */
  metrics?: Metrics;
  /** PostgreSQL's own client for COPY (CSV export); absent on the embedded PGlite. */
  copyClient?: () => postgres.Sql;
  /** Members of a Slack user group (the Slack app's cached look-up), for approver rules; absent without Slack. */
  groupMembers?: (groupId: string) => Promise<ReadonlySet<string>>;
  /** A Slack user's email address (users.info, cached by the Slack app), linking them to a person of SRE_PEOPLE; absent without Slack. */
  slackEmail?: (userId: string) => Promise<string | undefined>;
  /** Wakes the background workers after a commit (durable work is in the db either way). */
  poke?: () => void;
  /** SRE_MAINTENANCE: weekly windows in the operators' time zone (policy.timeZone), silences that recur. */
  maintenance?: readonly MaintenanceWindow[];
  /** Runs a just-written job in this process (the job machinery's runner); absent: the verb does the work itself. */
  jobs?: Pick<JobRunner, 'enqueueLeased' | 'retryLeased'>;
  /** SRE_RUNBOOK_DIR's runbooks, validated at start; the matching one narrows each proposal. */
  runbooks?: readonly Runbook[];
}

export type { ProposalView } from '../domain/proposal-view.js';
