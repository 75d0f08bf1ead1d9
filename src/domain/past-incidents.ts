import { normalizeAction, specFor, type ActionId } from './actions.js';

/**
 * Past incidents on the same subject and of the same failure class, as every surface shows them
 * ("circuit-break openai for 120s, approved by alice in Slack, verified"). Pure: the proposals'
 * read model (proposals/past-incidents.ts) loads them. Names, reasons and the action's words carry
 * text from events and operators: each surface escapes or fences it where it shows it.
 */

export interface PastIncident {
  incidentId: string;
  openedAt: Date;
  closedAt: Date | null;
  /** The failure class of its sample errors (agent/evidence.ts), the same as the incident it is shown for. */
  failureClass: string;
  proposalId: string;
  action: ActionId;
  target: string;
  /** The action in words (the library's `describe`). */
  described: string;
  status: string;
  decidedBy: string | null;
  decidedVia: string | null;
  decidedAt: Date | null;
  decisionReason: string | null;
  /** none | pending | passed | failed | reverted, as the proposal holds it. */
  verification: string;
  /** Its execution's verification failed (whether it was reverted afterwards or not). */
  verificationFailed: boolean;
  revertedBy: string | null;
}

/** The action in words, or its id when the stored params no longer validate. */
export function describeStored(action: string, params: Record<string, unknown>): string {
  const n = normalizeAction(action, params);
  return n.ok ? specFor(n.request.action).describe(n.request.params as never) : action;
}

const CHANNEL: Record<string, string> = {
  slack: 'in Slack',
  console: 'in the console',
  api: 'through the JSON API',
  cli: 'from the command line',
  email: 'from an email link',
};

/** "Alice (slack U1)" → "Alice", "email:a@b" → "a@b". */
function person(actor: string): string {
  const slack = /^(.*) \(slack [A-Z0-9]+\)$/.exec(actor);
  return slack ? slack[1]! : actor.replace(/^(email|system|slack):/, '');
}

/** Who decided and through which channel, in words. */
export function decisionWords(p: Pick<PastIncident, 'status' | 'decidedBy' | 'decidedVia' | 'decisionReason'>): string {
  if (p.status === 'expired') return 'expired with no decision';
  if (p.status === 'superseded') return 'superseded with no decision';
  if (p.status === 'pending') return 'never decided';
  if (!p.decidedBy) return p.status;
  if (p.decidedVia === 'policy') return 'auto-approved by policy';
  const via = p.decidedVia ? ` ${CHANNEL[p.decidedVia] ?? `via ${p.decidedVia}`}` : '';
  const verb = p.status === 'rejected' ? 'rejected' : 'approved';
  const why = p.status === 'rejected' && p.decisionReason ? ` ("${p.decisionReason.slice(0, 120)}")` : '';
  return `${verb} by ${person(p.decidedBy)}${via}${why}`;
}

/** What came of it: verified, failed its verification (and was reverted), or why nothing ran. */
export function outcomeWords(p: Pick<PastIncident, 'status' | 'verification' | 'verificationFailed' | 'revertedBy' | 'action'>): string | undefined {
  if (p.status === 'failed') return 'the execution failed';
  if (p.status !== 'succeeded') return undefined;
  if (p.verificationFailed) return p.verification === 'reverted' || p.revertedBy ? 'verification failed, reverted' : 'verification failed';
  switch (p.verification) {
    case 'passed':
      return 'verified';
    case 'pending':
      return 'still being verified';
    case 'reverted':
      return 'reverted';
    default:
      return p.action === 'page_oncall' ? 'paged' : 'not verified';
  }
}

/** One line: "circuit-break openai for 120s, approved by alice in Slack, verified". */
export function pastIncidentLine(p: PastIncident): string {
  const outcome = outcomeWords(p);
  return `${p.described}, ${decisionWords(p)}${outcome ? `, ${outcome}` : ''}`;
}

/** The JSON shape (the proposal view's `past_incidents`), newest first. */
export interface PastIncidentView {
  incident_id: string;
  opened_at: string;
  failure_class: string;
  proposal_id: string;
  action: string;
  target: string;
  summary: string;
  status: string;
  decided_by: string | null;
  decided_via: string | null;
  decided_at: string | null;
  verification: string;
  verification_failed: boolean;
  /** The whole story in words, for a card or a page. */
  line: string;
}

export function pastIncidentView(p: PastIncident): PastIncidentView {
  return {
    incident_id: p.incidentId,
    opened_at: p.openedAt.toISOString(),
    failure_class: p.failureClass,
    proposal_id: p.proposalId,
    action: p.action,
    target: p.target,
    summary: p.described,
    status: p.status,
    decided_by: p.decidedBy,
    decided_via: p.decidedVia,
    decided_at: p.decidedAt ? p.decidedAt.toISOString() : null,
    verification: p.verification,
    verification_failed: p.verificationFailed,
    line: pastIncidentLine(p),
  };
}
