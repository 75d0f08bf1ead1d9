import { withoutTrailingSlashes } from '../domain/text.js';
import { and, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import { ExecutionError, type Pager } from '../actions/gateway.js';
import { schema, type Db } from '../db/client.js';
import type { AgentMode } from '../domain/policy.js';
import { shadowReason } from '../domain/shadow.js';
import { PermanentDeliveryError, RetryableDeliveryError, type ChannelAdapter, type DeliveryOutcome, type OutboxRow } from './adapter.js';

/**
 * Paging for gated proposals: trigger when one at or above minScore waits for a human, again on
 * escalation (whatever its score), and resolve once the incident has no pending proposal left.
 * dedup_key is the incident id, so repeats are one alert and a superseding proposal keeps it open.
 */

export interface PagerDutyAdapterOptions {
  db: Db;
  pager: Pager;
  minScore: number;
  publicBaseUrl: string;
  logger: Logger;
  /** SRE_MODE: in shadow nobody is paged (nor resolved), whatever the proposal. */
  mode?: AgentMode;
}

export function createPagerDutyAdapter(opts: PagerDutyAdapterOptions): ChannelAdapter {
  const base = withoutTrailingSlashes(opts.publicBaseUrl);
  const logger = opts.logger.child({ component: 'pagerduty-notify' });
  const { proposals, incidents } = schema;

  async function call<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof ExecutionError && !e.retryable) throw new PermanentDeliveryError(e.message, { cause: e });
      throw new RetryableDeliveryError(e instanceof Error ? e.message : String(e), undefined, { cause: e });
    }
  }

  return {
    channel: 'pagerduty',
    // One incident's trigger and resolve must not overtake each other.
    paceKey: (row) => (row.incidentId ? `pagerduty:${row.incidentId}` : undefined),
    async deliver(row: OutboxRow): Promise<DeliveryOutcome> {
      if (!row.proposalId || !row.incidentId) return { status: 'skipped', reason: 'no proposal' };
      const [r] = await opts.db.select().from(proposals).innerJoin(incidents, eq(incidents.id, proposals.incidentId)).where(eq(proposals.id, row.proposalId)).limit(1);
      if (!r) throw new PermanentDeliveryError(`proposal ${row.proposalId} not found`);
      const p = r.proposals;
      const dedupKey = p.incidentId;
      const shadow = shadowReason(opts.mode ?? 'live', p.mode);
      if (shadow) return { status: 'skipped', reason: shadow };

      if (row.kind === 'proposal.created' || row.kind === 'proposal.escalated') {
        if (p.status !== 'pending') return { status: 'skipped', reason: `proposal is ${p.status}` };
        const escalated = row.kind === 'proposal.escalated';
        if (!escalated && p.riskScore < opts.minScore) return { status: 'skipped', reason: `risk ${p.riskScore} below ${opts.minScore}` };
        const link = `${base}/sre/proposals/${encodeURIComponent(p.id)}`;
        const out = await call(() =>
          opts.pager.trigger({
            dedupKey,
            summary: `${escalated ? 'Escalated: ' : ''}SRE agent needs a decision: ${p.action} on ${p.target} (risk ${p.riskScore}) for ${r.incidents.type} on ${r.incidents.subject}`,
            severity: p.riskScore >= 75 || escalated ? 'critical' : 'error',
            source: 'scutum-sre-agent',
            details: { incident_id: p.incidentId, proposal_id: p.id, action: p.action, target: p.target, risk_score: p.riskScore, escalated },
            links: [{ href: link, text: 'Decide in the SRE console' }],
          }),
        );
        logger.info({ outbox_id: row.id, incident_id: dedupKey, escalated }, 'paged');
        return { status: 'sent', result: { action: 'trigger', dedup_key: out.dedup_key } };
      }

      if (row.kind === 'proposal.decided' || row.kind === 'proposal.expired' || row.kind === 'proposal.superseded') {
        if (p.riskScore < opts.minScore && !p.escalatedAt) return { status: 'skipped', reason: 'never paged' };
        const [stillPending] = await opts.db
          .select({ id: proposals.id })
          .from(proposals)
          .where(and(eq(proposals.incidentId, p.incidentId), eq(proposals.status, 'pending')))
          .limit(1);
        if (stillPending) return { status: 'skipped', reason: 'another proposal for the incident is pending' };
        await call(() => opts.pager.resolve(dedupKey));
        return { status: 'sent', result: { action: 'resolve', dedup_key: dedupKey } };
      }
      return { status: 'skipped', reason: `pagerduty does not send ${row.kind}` };
    },
  };
}
