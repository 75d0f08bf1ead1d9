import type { ActionId, Adjustment } from '../domain/actions.js';
import type { EventType } from '../domain/events.js';
import type { GatewayReads } from '../actions/gateway.js';
import type { PastIncident } from '../domain/past-incidents.js';
import type { Runbook } from './runbooks/runbook.js';

/** What a reasoner knows about an incident. Event data is untrusted text. */
export interface IncidentContext {
  incident: {
    id: string;
    key: string;
    type: EventType;
    subject: string;
    status: string;
    firstSeen: Date;
    lastSeen: Date;
    eventCount: number;
    /** The latest event's data and the first one's. */
    latest: Record<string, unknown>;
    first: Record<string, unknown>;
  };
  /** A few recent events of the incident, newest first. */
  recentEvents: { id: string; occurredAt: Date; data: Record<string, unknown> }[];
  /** Earlier proposals on the same incident key or target, newest first. */
  history: {
    proposalId: string;
    incidentId: string;
    action: ActionId;
    target: string;
    status: string;
    createdAt: Date;
    decidedBy: string | null;
    decisionReason: string | null;
    reverted: boolean;
  }[];
  /**
   * The last closed or decided incidents on the same subject and of the same failure class, newest
   * first: what was proposed, who decided, whether verification passed. Names and reasons are untrusted.
   */
  pastIncidents?: PastIncident[];
  /** The proposal pending now, if any (for thread conversations and revisions). */
  pending?: { id: string; action: ActionId; params: Record<string, unknown>; riskScore: number } | undefined;
  /** The operators' runbook this incident matches (SRE_RUNBOOK_DIR): it narrows, never widens; its text is untrusted. */
  runbook?: Runbook | undefined;
  now: Date;
}

/** A reasoner's answer: the action and raw params (validated and clamped by code afterwards). */
export interface ProposalDraft {
  action: ActionId;
  params: Record<string, unknown>;
  reasoning: string;
  reasoner: 'playbook' | 'claude';
  /** Set when the model failed and the playbook answered instead. */
  fallbackReason?: string;
  /** The model's bounded risk suggestion; code clamps it and records it as one factor. */
  riskAdjustment?: { delta: number; reason: string };
  /** Clamps already applied by the reasoner's guardrails. */
  adjustments?: Adjustment[];
  /** The reasoning chain for the audit trail (messages, tool calls, usage, cost, latency). */
  trace?: Record<string, unknown>;
}

export interface ThreadMessage {
  author: string;
  text: string;
  at: Date;
}

export interface ThreadAnswer {
  reply: string;
  /** A new proposal when the operator asked for another action; it supersedes the pending one. */
  revision?: ProposalDraft;
  trace?: Record<string, unknown>;
}

export interface ReasonOptions {
  /** Epoch ms by which the whole run (model calls, retries, tool turns) must answer; past it, the fallback. */
  deadline?: number;
}

export interface Reasoner {
  readonly name: 'playbook' | 'claude';
  propose(ctx: IncidentContext, gateway: GatewayReads, opts?: ReasonOptions): Promise<ProposalDraft>;
  /** Answers an operator in the incident thread; may revise the proposal. */
  converse(ctx: IncidentContext, thread: ThreadMessage[], gateway: GatewayReads): Promise<ThreadAnswer>;
}
