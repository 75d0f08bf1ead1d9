/**
 * The proposals' public surface (ARCHITECTURE.md): the service verbs, each `(deps, input)` and
 * joinable to a caller's transaction, the read models the adapters show, and the job handlers the
 * composition root puts in the catalog. Adapters import nothing else from proposals/.
 */
export type { ProposalView, ServiceDeps } from './types.js';
export { joined, withTransaction } from './context.js';

export { propose, type ProposeInput } from './propose.js';
export { alreadyDecided, decide, DecideInput } from './decide.js';
export { decideByLink, readDecisionLink, type LinkDecision, type LinkRefusal, type LinkView } from './decide-by-link.js';
export type { DecisionLink } from './decision-links.js';
export { execute, executeApproved } from './execute.js';
export { revert } from './revert.js';
export { expire } from './expire.js';
export { escalate, type EscalateResult } from './escalate.js';
export { converse } from './converse.js';
export { answerThreadMessage, incidentForThread } from './thread.js';
export { pause, PauseInput } from './pause.js';
export { resume } from './resume.js';
export { recordDenied } from './deny.js';
export { checkApproverRule, type ApproverVerdict } from './approvals.js';
export { recordModeChange } from './shadow.js';
export { reconcileExecutions } from './reconcile.js';

export { agentStatus, type AgentStatus } from './status.js';
export { getIncident, getProposal, listProposals, type ProposalQuery } from './queries.js';
export { PAST_INCIDENTS, pastIncidents } from './past-incidents.js';
export type { PastIncident, PastIncidentView } from '../domain/past-incidents.js';
export { DEFAULT_REPORT_WINDOW, tuningReport } from './report.js';
export { exportDecisions, type DecisionExport } from './decisions-export.js';
export {
  byUrgency,
  deadNotifications,
  incidentSilence,
  INCIDENT_PAGE_ROWS,
  INCIDENT_STATUSES,
  INCIDENT_WINDOWS,
  listAuditRows,
  loadDay,
  loadIncidents,
  loadOverview,
  loadProposal,
  type AuditRow,
  type DaySummary,
  type IncidentLine,
  type IncidentQuery,
  type IncidentRow,
  type LatestProposal,
  type OverviewData,
  type ProposalPageData,
  incidentTraceId,
} from './console-reads.js';

export { newId } from './ids.js';
export { noteLateReasoning, proposalJobs, rearmOrphans, type ProposalJobs } from './jobs.js';
export { incidentReport } from './incident-report.js';
export { isConsoleSessionRevoked, revokeConsoleSession } from './console-sessions.js';
