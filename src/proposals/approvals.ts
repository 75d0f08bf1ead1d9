import { asc, eq } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { schema, type Executor } from '../db/client.js';
import { approverKey } from '../domain/approvals.js';
import { describePrincipals, groupsOf, namedBy, ruleFor } from '../domain/approver-rules.js';
import { personOf, personOfKey } from '../domain/people.js';
import { DomainError } from '../domain/errors.js';
import { actorChannel, actorName, type Actor } from '../domain/proposal.js';
import { reader } from './context.js';
import { recordDenied } from './deny.js';
import { enqueueNotification } from '../jobs/index.js';
import type { ServiceDeps } from './types.js';

const { proposals, proposalApprovals } = schema;

export type ApproverVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Who may approve what (SRE_APPROVER_RULES), for any channel: an action with a rule admits only its
 * principals; Slack user groups are looked up through deps.groupMembers, and a failed or missing
 * look-up refuses (fail closed).
 */
export async function checkApproverRule(deps: Pick<ServiceDeps, 'policy' | 'groupMembers' | 'logger'>, actor: Actor, action: string): Promise<ApproverVerdict> {
  const rule = ruleFor(deps.policy.approverRules, action);
  if (!rule) return { ok: true };
  if (namedBy(rule, actor)) return { ok: true };
  const notNamed: ApproverVerdict = { ok: false, reason: `only ${describePrincipals(rule)} may approve ${action} (SRE_APPROVER_RULES)` };
  if (actor.type !== 'slack') return notNamed;
  let failed = false;
  for (const g of groupsOf(rule)) {
    try {
      if (!deps.groupMembers) throw new Error('no Slack user-group look-up is configured');
      if ((await deps.groupMembers(g)).has(actor.userId)) return { ok: true };
    } catch (e) {
      failed = true;
      deps.logger.warn({ err: e, usergroup: g }, 'approver rule group look-up failed');
    }
  }
  if (failed) return { ok: false, reason: `the approver group look-up failed, so ${action} cannot be approved (fail closed)` };
  return notNamed;
}

/** Refuses, audited as decision.denied, an actor whom the approver rules do not admit for this proposal's action. */
export async function authorizeApproval(deps: ServiceDeps, input: { proposalId: string; actor: Actor; verb: 'approve' | 'revert'; action?: string }): Promise<void> {
  if (!deps.policy.approverRules) return;
  const [p] = input.action ? [{ action: input.action }] : await reader(deps).select({ action: proposals.action }).from(proposals).where(eq(proposals.id, input.proposalId)).limit(1);
  if (!p) return;
  const verdict = await checkApproverRule(deps, input.actor, p.action);
  if (verdict.ok) return;
  await recordDenied(deps, { proposalId: input.proposalId, actor: input.actor, reason: verdict.reason });
  throw new DomainError('forbidden', `You may not ${input.verb} this proposal: ${verdict.reason}.`);
}

/**
 * Resuming turns execution back on for every action, so with SRE_APPROVER_RULES set only a
 * principal some rule names (or a member of a group it names) may resume; pausing stays open to
 * every operator, as rejecting does. Refusals are audited as decision.denied.
 */
export async function authorizeResume(deps: ServiceDeps, actor: Actor): Promise<void> {
  const rules = deps.policy.approverRules;
  const actions = Object.keys(rules ?? {}).filter((a) => (ruleFor(rules, a)?.length ?? 0) > 0);
  if (actions.length === 0 || actor.type === 'system') return;
  const reasons: string[] = [];
  for (const action of actions) {
    const verdict = await checkApproverRule(deps, actor, action);
    if (verdict.ok) return;
    reasons.push(verdict.reason);
  }
  const reason = `resuming turns execution back on, so only a principal of SRE_APPROVER_RULES may resume (${reasons[0] ?? 'not named by any rule'})`;
  await recordDenied(deps, { proposalId: 'resume', actor, reason });
  throw new DomainError('forbidden', `You may not resume the agent: ${reason}.`);
}

export type ApprovalStep =
  | { step: 'not_pending' }
  | { step: 'same_approver'; approvals: string[]; required: number }
  | { step: 'unknown_person'; approvals: string[]; required: number; identity: string }
  | { step: 'partial'; approvals: string[]; required: number }
  | { step: 'complete'; approvals: string[]; required: number };

/**
 * The person an approval stands for, resolved before the decision's transaction (a Slack user's
 * email is a network look-up): `person:NAME` when SRE_PEOPLE names them, else the channel's key.
 */
export async function approverIdentity(deps: Pick<ServiceDeps, 'policy' | 'slackEmail' | 'logger'>, actor: Actor): Promise<{ key: string; person: string | undefined }> {
  const people = deps.policy.people;
  let email: string | undefined;
  if (people && actor.type === 'slack' && !people.byIdentity.has(`slack:${actor.userId}`) && deps.slackEmail) {
    try {
      email = await deps.slackEmail(actor.userId);
    } catch (e) {
      // No address, no link: the identity stays unnamed, which SRE_PEOPLE refuses for a second approval.
      deps.logger.warn({ err: e, user: actor.userId }, 'slack users.info look-up failed; the user is not linked to a person');
    }
  }
  const person = personOf(people, actor, email);
  return { key: person ? `person:${person}` : approverKey(actor), person };
}

/**
 * Records one approval inside the decision's transaction, under the proposal's row lock, so
 * racing approvals count one after the other: the same person twice (any of their identities in
 * SRE_PEOPLE) is refused (and audited), a first of two is recorded and announced, the last one
 * lets the caller approve the proposal. With SRE_PEOPLE set, an identity it names no person for
 * cannot take part in a two-person approval: it cannot be told apart from the other approver.
 */
export async function recordApproval(tx: Executor, deps: ServiceDeps, input: { proposalId: string; actor: Actor; now: Date; identity?: { key: string; person: string | undefined } }): Promise<ApprovalStep> {
  const [row] = await tx.select().from(proposals).where(eq(proposals.id, input.proposalId)).for('update');
  if (!row || row.status !== 'pending') return { step: 'not_pending' };
  const existing = await tx.select().from(proposalApprovals).where(eq(proposalApprovals.proposalId, row.id)).orderBy(asc(proposalApprovals.seq));
  const names = existing.map((a) => a.name);
  const required = Math.max(1, row.approvalsRequired);
  const { key, person } = input.identity ?? { key: approverKey(input.actor), person: undefined };
  const people = deps.policy.people;
  const refuse = async (reason: 'same_approver' | 'unknown_person') => {
    await appendAudit(tx, {
      kind: reason === 'same_approver' ? 'decision.duplicate' : 'decision.denied',
      actor: input.actor,
      incidentId: row.incidentId,
      proposalId: row.id,
      payload: { attempted: 'approve', status: row.status, reason, approvals: names, required },
    });
  };
  if (existing.some((a) => a.approver === key || (person !== undefined && personOfKey(people, a.approver) === person))) {
    await refuse('same_approver');
    return { step: 'same_approver', approvals: names, required };
  }
  if (people && required > 1 && person === undefined && input.actor.type !== 'system') {
    await refuse('unknown_person');
    return { step: 'unknown_person', approvals: names, required, identity: actorName(input.actor) };
  }
  const seq = existing.length + 1;
  await tx.insert(proposalApprovals).values({ proposalId: row.id, seq, approver: key, name: actorName(input.actor), via: actorChannel(input.actor), at: input.now });
  const approvals = [...names, actorName(input.actor)];
  if (seq >= required) return { step: 'complete', approvals, required };
  await tx.update(proposals).set({ updatedAt: input.now }).where(eq(proposals.id, row.id));
  await appendAudit(tx, {
    kind: 'approval.recorded',
    actor: input.actor,
    incidentId: row.incidentId,
    proposalId: row.id,
    payload: { channel: actorChannel(input.actor), approvals: seq, required, risk_score: row.riskScore },
  });
  await enqueueNotification(tx, deps, 'proposal.decided', { incidentId: row.incidentId, proposalId: row.id }, { decision: 'approve', partial: true, approvals: seq, required });
  return { step: 'partial', approvals, required };
}

export function sameApprover(proposalId: string, s: { approvals: string[]; required: number }): DomainError {
  return new DomainError(
    'same_approver',
    `You approved ${proposalId} already; it needs ${s.required} different people (${s.approvals.length} of ${s.required}: ${s.approvals.join(', ')}).`,
    { approvals: s.approvals, required: s.required },
  );
}

export function unknownPerson(proposalId: string, s: { approvals: string[]; required: number; identity: string }): DomainError {
  return new DomainError(
    'forbidden',
    `${s.identity} is not one of the people in SRE_PEOPLE, so this approval could not be told apart from another approver's; ${proposalId} needs ${s.required} different people named there (fail closed).`,
    { approvals: s.approvals, required: s.required },
  );
}
