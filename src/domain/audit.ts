import { z } from 'zod';

/**
 * Audit kinds are `entity.verb`; each carries a payload schema, validated before the row is
 * written. Payloads are loose objects: the named fields are required, more may be recorded.
 */

const obj = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);
const anyObj = z.looseObject({});

export const AuditEntry = z.discriminatedUnion('kind', [
  // One row per incident per source per ingest batch: the stored events' ids and the digest of
  // their canonical rows (sre_events_digest), which `audit verify` recomputes from `events`.
  z.object({
    kind: z.literal('events.received'),
    payload: obj({
      via: z.string(),
      count: z.number().int().positive(),
      event_ids: z.array(z.string()).min(1),
      digest: z.string().regex(/^[0-9a-f]{64}$/),
      received_at: z.string(),
    }),
  }),
  z.object({ kind: z.literal('event.dead_lettered'), payload: obj({ entry_id: z.string(), error: z.string() }) }),
  z.object({ kind: z.literal('incident.opened'), payload: obj({ key: z.string(), type: z.string(), subject: z.string() }) }),
  z.object({ kind: z.literal('incident.closed'), payload: obj({ reason: z.string(), event_count: z.number() }) }),
  z.object({
    kind: z.literal('proposal.created'),
    payload: obj({ action: z.string(), params: anyObj, reasoning: z.string(), reasoner: z.string() }),
  }),
  z.object({
    kind: z.literal('risk.scored'),
    payload: obj({ score: z.number(), factors: z.array(obj({ name: z.string(), delta: z.number(), reason: z.string() })), route: z.string() }),
  }),
  z.object({ kind: z.literal('reasoning.completed'), payload: anyObj }),
  z.object({ kind: z.literal('proposal.approved'), payload: obj({ channel: z.string() }) }),
  z.object({ kind: z.literal('proposal.rejected'), payload: obj({ channel: z.string() }) }),
  z.object({ kind: z.literal('proposal.expired'), payload: anyObj }),
  z.object({ kind: z.literal('proposal.superseded'), payload: obj({ superseded_by: z.string() }) }),
  z.object({ kind: z.literal('proposal.escalated'), payload: anyObj }),
  z.object({ kind: z.literal('decision.duplicate'), payload: obj({ attempted: z.string(), status: z.string() }) }),
  z.object({ kind: z.literal('decision.denied'), payload: obj({ reason: z.string() }) }),
  // The first of two approvals (two-person rule): recorded, nothing executes yet.
  z.object({ kind: z.literal('approval.recorded'), payload: obj({ channel: z.string(), approvals: z.number().int(), required: z.number().int() }) }),
  // Shadow mode: what would have executed, recorded instead of executing it.
  z.object({ kind: z.literal('execution.skipped'), payload: obj({ reason: z.string(), operation: z.string() }) }),
  z.object({ kind: z.literal('mode.changed'), payload: obj({ from: z.enum(['live', 'shadow']), to: z.enum(['live', 'shadow']) }) }),
  z.object({ kind: z.literal('execution.started'), payload: obj({ execution_id: z.string(), operation: z.string() }) }),
  z.object({ kind: z.literal('execution.succeeded'), payload: obj({ execution_id: z.string() }) }),
  z.object({ kind: z.literal('execution.failed'), payload: obj({ execution_id: z.string(), error: z.string() }) }),
  z.object({ kind: z.literal('execution.reconciled'), payload: obj({ execution_id: z.string(), outcome: z.string() }) }),
  z.object({ kind: z.literal('action.restored'), payload: obj({ execution_id: z.string() }) }),
  // On-call paged by the agent itself (not through a notification channel), and such a page resolved.
  z.object({ kind: z.literal('oncall.paged'), payload: obj({ dedup_key: z.string(), why: z.string() }) }),
  z.object({ kind: z.literal('page.resolved'), payload: obj({ dedup_key: z.string(), reason: z.string() }) }),
  // Act safely: what the re-check found, a brake holding an automatic approval, a refused
  // decision, the verification's evidence, and every change of the kill switch.
  z.object({ kind: z.literal('proposal.stale'), payload: obj({ reason: z.string(), checked: z.array(anyObj) }) }),
  z.object({ kind: z.literal('proposal.held'), payload: obj({ reason: z.string(), check: z.string() }) }),
  z.object({ kind: z.literal('decision.refused'), payload: obj({ code: z.string(), reason: z.string() }) }),
  z.object({ kind: z.literal('verification.started'), payload: obj({ execution_id: z.string(), operation: z.string(), check_at: z.string() }) }),
  z.object({ kind: z.literal('verification.passed'), payload: obj({ operation: z.string(), evidence: anyObj }) }),
  z.object({ kind: z.literal('verification.failed'), payload: obj({ operation: z.string(), reason: z.string(), evidence: anyObj, next: z.string() }) }),
  z.object({ kind: z.literal('agent.paused'), payload: obj({ reason: z.string(), channel: z.string() }) }),
  z.object({ kind: z.literal('agent.resumed'), payload: obj({ channel: z.string(), paused_by: z.string().nullable() }) }),
  z.object({ kind: z.literal('notification.sent'), payload: obj({ channel: z.string() }) }),
  z.object({ kind: z.literal('notification.dead'), payload: obj({ channel: z.string(), error: z.string() }) }),
  z.object({ kind: z.literal('thread.message'), payload: obj({ text: z.string() }) }),
  z.object({ kind: z.literal('thread.reply'), payload: obj({ text: z.string() }) }),
  z.object({ kind: z.literal('audit.purged'), payload: anyObj }),
  // Silences (src/silences): made and ended by an approver; events they covered; an incident held and released.
  z.object({ kind: z.literal('silence.created'), payload: obj({ silence_id: z.string(), matchers: anyObj, reason: z.string(), channel: z.string() }) }),
  z.object({ kind: z.literal('silence.ended'), payload: obj({ silence_id: z.string(), channel: z.string() }) }),
  z.object({ kind: z.literal('events.silenced'), payload: obj({ silence_ids: z.array(z.string()).min(1), event_ids: z.array(z.string()).min(1) }) }),
  z.object({ kind: z.literal('incident.silenced'), payload: obj({ silence_id: z.string(), until: z.string(), by: z.string(), reason: z.string() }) }),
  z.object({ kind: z.literal('incident.unsilenced'), payload: obj({ silence_id: z.string() }) }),
  // Written by sre_events_purge itself (retention): the cutoff `audit verify` checks receipts against.
  z.object({ kind: z.literal('events.purged'), payload: obj({ cutoff: z.string(), purged_count: z.number() }) }),
]);
export type AuditEntry = z.infer<typeof AuditEntry>;
export type AuditKind = AuditEntry['kind'];

/** Scutum's license tiers; each keeps the audit trail for its own minimum (audit/purge.ts). */
export const LICENSE_TIERS = ['trial', 'team', 'business', 'enterprise'] as const;
export type LicenseTier = (typeof LICENSE_TIERS)[number];
