import { eq, sql } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { queryRows, schema } from '../db/client.js';
import { isDomainError } from '../domain/errors.js';
import { enqueue, enqueueNotification, job, type JobHandler, type JobHandlers } from '../jobs/index.js';
import { incidentCover } from '../silences/index.js';
import { withTransaction } from './context.js';
import { escalate } from './escalate.js';
import { execute } from './execute.js';
import { expire } from './expire.js';
import { propose } from './propose.js';
import { pageAbout, resolveActionPage } from './oncall.js';
import { reconcileExecutions } from './reconcile.js';
import type { ServiceDeps } from './types.js';
import { autoRevertJob, verifyJob, verifyPageJob } from './verify.js';

/** The handlers of the proposals' jobs (jobs/kinds.ts declares each kind); the composition root joins them into the catalog. */
export type ProposalJobs = Omit<JobHandlers<ServiceDeps>, 'close_quiet' | 'retention' | 'silence_end' | 'audit_checkpoint'>;

/** A new incident's reasoning, inside the pool's slot and deadline. */
const proposeJob: JobHandler<ServiceDeps, 'propose'> = async (deps, p, j) => {
  const view = await propose(deps, { incidentId: p.incident_id, ...(j.deadline !== undefined ? { deadline: j.deadline } : {}) });
  if (!view || !deps.metrics) return;
  const [inc] = await deps.db.select({ openedAt: schema.incidents.openedAt }).from(schema.incidents).where(eq(schema.incidents.id, p.incident_id));
  // Now, not view.created_at: a proposal's created_at is stamped when reasoning began.
  if (inc) deps.metrics.incidentToProposal.observe(Math.max(0, deps.clock.nowMs() - inc.openedAt.getTime()) / 1000);
};

const restoreJob: JobHandler<ServiceDeps, 'restore'> = async (deps, p) => {
  const [prop] = await deps.db.select({ incidentId: schema.proposals.incidentId }).from(schema.proposals).where(eq(schema.proposals.id, p.proposal_id));
  await withTransaction(deps, (tx) =>
    appendAudit(tx, {
      kind: 'action.restored',
      actor: { type: 'system', name: 'scheduler' },
      incidentId: prop?.incidentId ?? null,
      proposalId: p.proposal_id,
      payload: { execution_id: p.execution_id, note: 'circuit-breaker duration ended; the provider is back in rotation' },
    }),
  );
};

export function proposalJobs(opts: { reconcileStaleMs: number }): ProposalJobs {
  return {
    propose: proposeJob,
    refresh: async (deps, p, j) => {
      await propose(deps, { incidentId: p.incident_id, replaces: p.replaces, ...(j.deadline !== undefined ? { deadline: j.deadline } : {}) });
    },
    // A refusal at the gate is recorded on the proposal itself: the job is done either way.
    execute: async (deps, p) => {
      await execute(deps, { proposalId: p.proposal_id }).catch((e: unknown) => {
        if (!isDomainError(e)) throw e;
      });
    },
    expire: async (deps, p) => {
      await expire(deps, { proposalId: p.proposal_id });
    },
    escalate: async (deps, p) => {
      // Pages nobody while a silence covers the incident: escalates when it ends, if still waiting.
      const [row] = await deps.db.select({ incidentId: schema.proposals.incidentId }).from(schema.proposals).where(eq(schema.proposals.id, p.proposal_id));
      const cover = row ? await incidentCover(deps.db, deps, row.incidentId) : undefined;
      if (cover) return enqueue(deps.db, job('escalate', `escalate:${p.proposal_id}:${cover.until.getTime()}`, cover.until, p));
      await escalate(deps, { proposalId: p.proposal_id });
    },
    restore: restoreJob,
    verify: verifyJob,
    auto_revert: autoRevertJob,
    verify_page: verifyPageJob,
    reconcile: async (deps) => {
      await reconcileExecutions(deps, opts.reconcileStaleMs);
    },
    reconcile_page: (deps, p) =>
      pageAbout(deps, {
        proposalId: p.proposal_id,
        dedupKey: `reconcile:${p.execution_id}`,
        why: p.why,
        summary: (row) => `SRE agent: ${row.action} on ${row.target} was cut off by a crash and not re-sent (${p.why}); check the target by hand`,
      }),
    resolve_page: (deps, p) => resolveActionPage(deps, { proposalId: p.proposal_id, reason: 'the incident closed' }),
  };
}

/** While reasoning runs past the lateness mark, the incident summary is re-rendered to say so (domain/lateness.ts). */
export async function noteLateReasoning(deps: ServiceDeps, incidentId: string): Promise<void> {
  await withTransaction(deps, (tx) => enqueueNotification(tx, deps, 'incident.updated', { incidentId }, { reason: 'reasoning_late' }));
  deps.poke?.();
}

/**
 * Open incidents that never got a proposal (their propose job died) are given a due one again, so
 * they are reasoned about in the pool like any other. Returns how many.
 */
export async function rearmOrphans(deps: ServiceDeps): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    deps.db,
    sql`select i.id from incidents i where i.status = 'open' and i.silence is null and not exists (select 1 from proposals p where p.incident_id = i.id) and not exists (select 1 from timers t where t.key = 'propose:' || i.id and t.status = 'pending')`,
  );
  const now = deps.clock.now();
  for (const { id } of rows) {
    deps.logger.warn({ incident_id: id }, 'open incident without a proposal: queueing it for reasoning');
    await enqueue(deps.db, job('propose', `propose:${id}`, now, { incident_id: id }), { rearm: true });
  }
  if (rows.length > 0) deps.poke?.();
  return rows.map((r) => r.id);
}
