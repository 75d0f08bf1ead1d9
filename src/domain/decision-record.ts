import { z } from 'zod';
import { ActionId } from './actions.js';
import type { PastIncident } from './past-incidents.js';

/**
 * The replay file (`sre-agent eval export`, `npm run eval -- --replay`): one line per incident a
 * person decided, with what the agent saw when it proposed (the incident, its events, the gateway
 * reads, the history), what it proposed, and what the person decided. docs/replay.md describes it.
 */

export const DECISION_RECORD_VERSION = 1;

/** The reads the agent may make (actions/gateway.ts), as recorded at proposal time. */
export const GATEWAY_READS = ['provider', 'model_group', 'team', 'budget', 'guardrail', 'sla'] as const;
export const GatewayReadKind = z.enum(GATEWAY_READS);
export type GatewayReadKind = z.infer<typeof GatewayReadKind>;

/** One read: its answer (null: the gateway knows no such thing) or the error it failed with. */
export const GatewayRead = z.union([
  z.object({ read: GatewayReadKind, key: z.string().max(400), result: z.record(z.string(), z.unknown()).nullable() }).strict(),
  z.object({ read: GatewayReadKind, key: z.string().max(400), error: z.string().max(500) }).strict(),
]);
export type GatewayRead = z.infer<typeof GatewayRead>;

/** Distinct reads recorded with one proposal at most: a reasoner reads a handful. */
export const MAX_RECORDED_READS = 40;

const time = z.iso.datetime({ offset: true });
const data = z.record(z.string(), z.unknown());
const text = (max: number) => z.string().max(max);

export const HUMAN_DECISIONS = ['approved', 'rejected'] as const;

export const DecisionRecord = z
  .object({
    version: z.literal(DECISION_RECORD_VERSION),
    incident: z.object({
      id: text(200),
      key: text(400),
      type: z.enum(['provider.unhealthy', 'budget.exceeded', 'sla.violation', 'latency.spike']),
      subject: text(400),
      first_seen: time,
      last_seen: time,
      event_count: z.number().int().nonnegative(),
      first: data,
      latest: data,
    }),
    /** The incident's recent events the proposal was reasoned from, newest first (those retention kept). */
    events: z.array(z.object({ id: text(200), occurred_at: time, data })).max(50),
    /** Null when the proposal predates recorded reads: the replay then reads nothing (every read fails). */
    gateway_reads: z.array(GatewayRead).max(MAX_RECORDED_READS).nullable(),
    /** Earlier proposals on the same incident key or subject within 7 days, as they stood when it was proposed, newest first. */
    history: z
      .array(
        z.object({
          proposal_id: text(200),
          incident_id: text(200),
          action: ActionId,
          target: text(400),
          status: text(40),
          created_at: time,
          decided_at: time.nullable(),
          decided_by: text(400).nullable(),
          decision_reason: text(2000).nullable(),
          reverted: z.boolean(),
          /** When its verification failed before the proposal was made; null otherwise. */
          verification_failed_at: time.nullable(),
        }),
      )
      .max(50),
    /** The last incidents like this one (same subject, same failure class), as the export found them, newest first. */
    past_incidents: z
      .array(
        z.object({
          incident_id: text(200),
          opened_at: time,
          closed_at: time.nullable(),
          failure_class: text(60),
          proposal_id: text(200),
          action: ActionId,
          target: text(400),
          described: text(1000),
          status: text(40),
          decided_by: text(400).nullable(),
          decided_via: text(40).nullable(),
          decided_at: time.nullable(),
          decision_reason: text(2000).nullable(),
          verification: text(40),
          verification_failed: z.boolean(),
          reverted_by: text(400).nullable(),
        }),
      )
      .max(10),
    proposal: z.object({
      id: text(200),
      created_at: time,
      action: ActionId,
      target: text(400),
      params: data,
      risk_score: z.number().int().min(0).max(100),
      risk_factors: z.array(z.object({ name: text(100), delta: z.number(), reason: text(2000) })),
      route: text(20),
      reasoner: text(40),
      /** Claude's system prompt version; null for the playbook. */
      prompt_version: text(100).nullable(),
      fallback_reason: text(2000).nullable(),
      runbook: z.object({ path: text(1000), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).nullable(),
      /** Drafted in the incident's thread at an operator's request, not by the reasoner alone. */
      revision: z.boolean(),
      mode: z.enum(['live', 'shadow']),
    }),
    decision: z.object({
      decision: z.enum(HUMAN_DECISIONS),
      by: text(400),
      /** slack, console, api, cli or email. */
      via: text(40),
      at: time,
      reason: text(2000).nullable(),
      approvals: z.array(z.object({ by: text(400), via: text(40), at: time })).max(10),
    }),
  })
  .strict();
export type DecisionRecord = z.infer<typeof DecisionRecord>;

/** A line's problems in words ("proposal.action: Invalid option…"), or the record. */
export function parseDecisionRecord(raw: unknown): { ok: true; record: DecisionRecord } | { ok: false; problems: string[] } {
  const r = DecisionRecord.safeParse(raw);
  if (r.success) return { ok: true, record: r.data };
  return { ok: false, problems: r.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(line)'}: ${i.message}`) };
}

type PastLine = DecisionRecord['past_incidents'][number];
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);
const dateOrNull = (s: string | null) => (s ? new Date(s) : null);

export function pastIncidentLine(p: PastIncident): PastLine {
  return {
    incident_id: p.incidentId,
    opened_at: p.openedAt.toISOString(),
    closed_at: isoOrNull(p.closedAt),
    failure_class: p.failureClass,
    proposal_id: p.proposalId,
    action: p.action,
    target: p.target,
    described: p.described.slice(0, 1000),
    status: p.status,
    decided_by: p.decidedBy,
    decided_via: p.decidedVia,
    decided_at: isoOrNull(p.decidedAt),
    decision_reason: p.decisionReason,
    verification: p.verification,
    verification_failed: p.verificationFailed,
    reverted_by: p.revertedBy,
  };
}

export function pastIncidentOf(l: PastLine): PastIncident {
  return {
    incidentId: l.incident_id,
    openedAt: new Date(l.opened_at),
    closedAt: dateOrNull(l.closed_at),
    failureClass: l.failure_class,
    proposalId: l.proposal_id,
    action: l.action,
    target: l.target,
    described: l.described,
    status: l.status,
    decidedBy: l.decided_by,
    decidedVia: l.decided_via,
    decidedAt: dateOrNull(l.decided_at),
    decisionReason: l.decision_reason,
    verification: l.verification,
    verificationFailed: l.verification_failed,
    revertedBy: l.reverted_by,
  };
}
