import { specFor, type ActionId } from '../domain/actions.js';
import type { schema } from '../db/client.js';
import { approvalProgress } from '../domain/approvals.js';
import { VERIFICATION_STATUSES, type VerificationStatus } from '../domain/proposal-view.js';
import type { SwitchState } from './kill-switch.js';
import type { ProposalView } from './types.js';

type ProposalRow = typeof schema.proposals.$inferSelect;
type IncidentRow = typeof schema.incidents.$inferSelect;
export type ApprovalRow = typeof schema.proposalApprovals.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const APPROVED = new Set(['approved', 'executing', 'succeeded', 'failed']);

function verificationStatus(s: string): VerificationStatus {
  return (VERIFICATION_STATUSES as readonly string[]).includes(s) ? (s as VerificationStatus) : 'none';
}

/** sw: the kill switch now; approvals: the proposal's stored approvals (rows from before they were stored fall back to decided_by). */
export function toView(p: ProposalRow, i: IncidentRow, publicBaseUrl: string, sw?: SwitchState, approvals: readonly ApprovalRow[] = []): ProposalView {
  const view: Omit<ProposalView, 'approval_progress'> = {
    id: p.id,
    incident_id: p.incidentId,
    status: p.status,
    action: p.action,
    params: p.params,
    target: p.target,
    risk_score: p.riskScore,
    risk_factors: p.riskFactors,
    route: p.route,
    reasoning: p.reasoning,
    reasoner: p.reasoner,
    fallback_reason: p.fallbackReason,
    runbook: p.runbook ?? null,
    reversible: specFor(p.action as ActionId).reversible,
    created_at: p.createdAt.toISOString(),
    expires_at: p.expiresAt.toISOString(),
    decided_by: p.decidedBy,
    decided_via: p.decidedVia,
    decided_at: iso(p.decidedAt),
    decision_reason: p.decisionReason,
    result: p.result,
    superseded_by: p.supersededBy,
    escalated_at: iso(p.escalatedAt),
    reverted_at: iso(p.revertedAt),
    reverted_by: p.revertedBy,
    mode: p.mode === 'shadow' ? 'shadow' : 'live',
    approvals:
      approvals.length > 0
        ? [...approvals].sort((a, b) => a.seq - b.seq).map((a) => ({ by: a.name, via: a.via, at: a.at.toISOString() }))
        : p.decidedAt && p.decidedBy && APPROVED.has(p.status)
          ? [{ by: p.decidedBy, via: p.decidedVia ?? 'unknown', at: p.decidedAt.toISOString() }]
          : [],
    approvals_required: p.approvalsRequired,
    verification: { status: verificationStatus(p.verificationStatus), reason: p.verificationReason, checked_at: iso(p.verificationCheckedAt) },
    stale_reason: p.staleReason,
    agent_paused: sw?.paused ? { by: sw.pausedBy, reason: sw.pausedReason, at: iso(sw.pausedAt) } : null,
    incident: {
      id: i.id,
      key: i.key,
      type: i.type,
      subject: i.subject,
      status: i.status,
      first_seen: i.firstSeen.toISOString(),
      last_seen: i.lastSeen.toISOString(),
      event_count: i.eventCount,
      latest: i.latest,
      slack_channel: i.slackChannel,
      slack_ts: i.slackTs,
    },
    links: { console: `${publicBaseUrl}/sre/proposals/${encodeURIComponent(p.id)}` },
  };
  return { ...view, approval_progress: approvalProgress(view) ?? null };
}
