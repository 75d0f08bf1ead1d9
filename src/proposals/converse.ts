import { and, asc, eq, inArray } from 'drizzle-orm';
import type { ThreadMessage } from '../agent/reasoner.js';
import { appendAudit } from '../audit/append.js';
import { schema } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import { actorName, type Actor } from '../domain/proposal.js';
import { enqueueNotification } from '../jobs/index.js';
import { matchRunbook } from '../agent/runbooks/index.js';
import { propose } from './propose.js';
import { loadIncidentContext } from './queries.js';
import type { ProposalView, ServiceDeps } from './types.js';

const AGENT: Actor = { type: 'system', name: 'agent' };

/**
 * An operator's message in an incident thread: recorded, answered by the reasoner with the
 * incident's context and history, and — when the operator asks for another action — a revision
 * that supersedes the pending proposal.
 */
export async function converse(
  deps: ServiceDeps,
  input: { incidentId: string; actor: Actor; text: string; /** Only approvers may replace the pending proposal. */ mayRevise?: boolean },
): Promise<{ reply: string; revision?: ProposalView }> {
  const text = input.text.trim().slice(0, 4000);
  if (!text) throw new DomainError('invalid', 'the message is empty');
  const now = deps.clock.now();
  const ctx = await loadIncidentContext(deps.db, input.incidentId, now);
  if (!ctx) throw new DomainError('not_found', `incident ${input.incidentId} not found`);
  ctx.runbook = matchRunbook(deps.runbooks ?? [], ctx);
  await deps.db.transaction((tx) => appendAudit(tx, { kind: 'thread.message', actor: input.actor, incidentId: input.incidentId, payload: { text } }));

  const rows = await deps.db
    .select({ actor: schema.sreActions.actor, kind: schema.sreActions.kind, payload: schema.sreActions.payload, at: schema.sreActions.occurredAt })
    .from(schema.sreActions)
    .where(and(eq(schema.sreActions.incidentId, input.incidentId), inArray(schema.sreActions.kind, ['thread.message', 'thread.reply'])))
    .orderBy(asc(schema.sreActions.seq));
  const thread: ThreadMessage[] = rows.slice(-30).map((r) => ({ author: r.kind === 'thread.reply' ? 'agent' : r.actor, text: String(r.payload.text ?? ''), at: r.at }));

  let reply: string;
  let revisionDraft;
  let trace: Record<string, unknown> | undefined;
  try {
    const answer = await deps.reasoner.converse(ctx, thread, deps.gateway);
    reply = answer.reply;
    revisionDraft = answer.revision;
    trace = answer.trace;
  } catch (e) {
    deps.logger.error({ err: e, incident_id: input.incidentId }, 'thread answer failed');
    reply = 'Sorry, I could not answer just now. The incident and its proposal are unchanged.';
  }
  if (revisionDraft && input.mayRevise !== true) {
    // Anyone in the thread may ask; only an approver may displace what the approvers are reviewing.
    revisionDraft = undefined;
    reply = `${reply}\n\nI have not changed the proposal: only approvers may ask for a different action.`;
  }
  await deps.db.transaction(async (tx) => {
    await appendAudit(tx, { kind: 'thread.reply', actor: AGENT, incidentId: input.incidentId, payload: { text: reply, in_reply_to: actorName(input.actor), ...(trace ? { trace } : {}) } });
    await enqueueNotification(tx, deps, 'thread.reply', { incidentId: input.incidentId }, { text: reply });
  });
  if (!revisionDraft) return { reply };
  const revision = await propose(deps, { incidentId: input.incidentId, draft: revisionDraft, actor: input.actor });
  return revision ? { reply, revision } : { reply };
}
