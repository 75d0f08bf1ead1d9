import type { PastIncidentView } from './past-incidents.js';
import type { RiskFactor } from './risk.js';

export const VERIFICATION_STATUSES = ['none', 'pending', 'passed', 'failed', 'reverted'] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

/** What every surface says of an incident: the proposal view, the Slack root and close, the report. */
export interface IncidentFacts {
  id: string;
  type: string;
  subject: string;
  status: string;
  first_seen: string;
  last_seen: string;
  event_count: number;
}

/**
 * A proposal as JSON (CONTRACT.md "HTTP"): the shape every adapter shows. It lives in domain so
 * the pure Block Kit builders and the services can both import it.
 */
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
  /** The operators' runbook the proposal followed, null when none matched. */
  runbook?: { path: string; sha256: string } | null;
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
  /** The mode the proposal was made in: a shadow proposal never executes. */
  mode: 'live' | 'shadow';
  /** Who approved, in order (two entries when the two-person rule applies). */
  approvals: { by: string; via: string; at: string }[];
  /** Approvals from different people it needs before it executes: 2 at or above SRE_TWO_PERSON_SCORE. */
  approvals_required: number;
  /** "1 of 2: alice" while a two-person proposal waits for its second approval, else null. */
  approval_progress: string | null;
  verification: { status: VerificationStatus; reason: string | null; checked_at: string | null };
  /** Set when the re-check at decision time refused to execute: what no longer held. */
  stale_reason: string | null;
  /** The kill switch as it is now: while set, nothing executes and approvals are answered "paused". */
  agent_paused?: { by: string | null; reason: string | null; at: string | null } | null;
  incident: IncidentFacts & {
    key: string;
    latest: Record<string, unknown>;
    slack_channel: string | null;
    slack_ts: string | null;
  };
  links: { console: string };
  /** One proposal's view (not lists): the last incidents on its subject of the same failure class, newest first. */
  past_incidents?: PastIncidentView[];
}
