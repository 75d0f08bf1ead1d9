import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { RiskFactor } from '../../domain/risk.js';

/** Proposals (one state machine each) and the executions that carry them out. */

export const proposals = pgTable(
  'proposals',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id').notNull(),
    status: text('status').notNull(),
    action: text('action').notNull(),
    target: text('target').notNull(),
    params: jsonb('params').$type<Record<string, unknown>>().notNull(),
    riskScore: integer('risk_score').notNull(),
    riskFactors: jsonb('risk_factors').$type<RiskFactor[]>().notNull(),
    route: text('route').notNull(),
    reasoning: text('reasoning').notNull(),
    reasoner: text('reasoner').notNull(),
    fallbackReason: text('fallback_reason'),
    /** The runbook the proposal followed (SRE_RUNBOOK_DIR): its path and SHA-256; null: none matched. */
    runbook: jsonb('runbook').$type<{ path: string; sha256: string }>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    decidedBy: text('decided_by'),
    decidedVia: text('decided_via'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decisionReason: text('decision_reason'),
    result: jsonb('result').$type<Record<string, unknown>>(),
    supersededBy: text('superseded_by'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    escalatedAt: timestamp('escalated_at', { withTimezone: true }),
    revertedAt: timestamp('reverted_at', { withTimezone: true }),
    revertedBy: text('reverted_by'),
    /** live or shadow: the mode the proposal was made in, kept whatever the agent's mode later. */
    mode: text('mode').notNull().default('live'),
    /** 2 when the risk score was at or above SRE_TWO_PERSON_SCORE at propose time (two-person rule). */
    approvalsRequired: integer('approvals_required').notNull().default(1),
    /** none | pending | passed | failed | reverted: the watch after a successful execution. */
    verificationStatus: text('verification_status').notNull().default('none'),
    verificationReason: text('verification_reason'),
    verificationCheckedAt: timestamp('verification_checked_at', { withTimezone: true }),
    /** Why the re-check at decision time refused to execute it (the present no longer matched). */
    staleReason: text('stale_reason'),
    /** The target as the gateway showed it when the proposal was made: the re-check compares against it. */
    targetState: jsonb('target_state').$type<Record<string, unknown>>(),
  },
  (t) => [
    // One pending proposal per incident: a new one must supersede the old in the same transaction.
    uniqueIndex('proposals_one_pending_per_incident').on(t.incidentId).where(sql`${t.status} = 'pending'`),
    index('proposals_status_idx').on(t.status, t.createdAt),
    index('proposals_incident_idx').on(t.incidentId, t.createdAt),
    index('proposals_target_idx').on(t.target, t.createdAt),
  ],
);

export const executions = pgTable(
  'executions',
  {
    /** Sent as Idempotency-Key: a retry or a reconciliation reuses it, never a new one. */
    id: text('id').primaryKey(),
    proposalId: text('proposal_id').notNull(),
    /** execute | revert | restore */
    operation: text('operation').notNull(),
    status: text('status').notNull(),
    request: jsonb('request').$type<Record<string, unknown>>().notNull(),
    response: jsonb('response').$type<Record<string, unknown>>(),
    error: text('error'),
    attempts: integer('attempts').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('executions_proposal_idx').on(t.proposalId),
    index('executions_status_idx').on(t.status),
    uniqueIndex('executions_one_per_operation').on(t.proposalId, t.operation),
  ],
);
