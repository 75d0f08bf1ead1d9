import { withoutTrailingSlashes } from '../domain/text.js';
import { eq } from 'drizzle-orm';
import { pageOutcome } from '../actions/pagerduty.js';
import { appendAudit } from '../audit/append.js';
import { schema } from '../db/client.js';
import type { Actor } from '../domain/proposal.js';
import { withTransaction } from './context.js';
import type { ProposalRow } from './transition.js';
import type { ServiceDeps } from './types.js';

/**
 * The agent's own pages (not a notification channel's): about a proposal whose action did not help,
 * or could not be re-sent after a crash. Each has its own dedup key, so no notification's resolve
 * touches it, and each is audited.
 */

const AGENT: Actor = { type: 'system', name: 'agent' };

/** The dedup key of a page_oncall action's own page: never the incident id the PagerDuty channel uses. */
export const actionPageKey = (proposalId: string) => `page:${proposalId}`;

export async function pageAbout(deps: ServiceDeps, input: { proposalId: string; dedupKey: string; summary: (p: ProposalRow) => string; why: string }): Promise<void> {
  const [p] = await deps.db.select().from(schema.proposals).where(eq(schema.proposals.id, input.proposalId));
  if (!p) return;
  await deps.pager.trigger({
    dedupKey: input.dedupKey,
    summary: input.summary(p).slice(0, 1024),
    severity: 'error',
    source: 'scutum-sre-agent',
    details: { proposal_id: p.id, incident_id: p.incidentId, why: input.why, verification: p.verificationReason },
    links: [{ href: `${withoutTrailingSlashes(deps.publicBaseUrl)}/sre/proposals/${encodeURIComponent(p.id)}`, text: 'proposal in the SRE console' }],
  });
  const outcome = pageOutcome(deps.pager);
  await withTransaction(deps, (tx) =>
    appendAudit(tx, { kind: 'oncall.paged', actor: AGENT, incidentId: p.incidentId, proposalId: p.id, payload: { dedup_key: input.dedupKey, why: input.why, ...outcome } }),
  );
  if (outcome.paged) deps.logger.warn({ proposal_id: p.id, why: input.why }, 'on-call paged');
  else deps.logger.warn({ proposal_id: p.id, why: input.why, not_paged: outcome.not_paged }, `on-call NOT paged: ${outcome.not_paged}`);
}

/** The page a page_oncall action raised stays triggered until a person resolves it, or its incident closes. */
export async function resolveActionPage(deps: ServiceDeps, input: { proposalId: string; reason: string }): Promise<void> {
  const [p] = await deps.db.select({ incidentId: schema.proposals.incidentId }).from(schema.proposals).where(eq(schema.proposals.id, input.proposalId));
  const dedupKey = actionPageKey(input.proposalId);
  await deps.pager.resolve(dedupKey);
  await withTransaction(deps, (tx) =>
    appendAudit(tx, { kind: 'page.resolved', actor: AGENT, incidentId: p?.incidentId ?? null, proposalId: input.proposalId, payload: { dedup_key: dedupKey, reason: input.reason } }),
  );
}
