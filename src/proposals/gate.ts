import { withSpan } from '../telemetry/index.js';
import { and, count, desc, eq, gte, ne, sql } from 'drizzle-orm';
import { appendAudit } from '../audit/append.js';
import { schema, type Tx } from '../db/client.js';
import { holdingBrakes, type Brakes } from '../domain/policy.js';
import { DomainError } from '../domain/errors.js';
import { actorChannel, type Actor } from '../domain/proposal.js';
import type { RecheckResult } from '../domain/recheck.js';
import { reader, withTransaction } from './context.js';
import { readSwitch } from './kill-switch.js';
import { activeSilences, coverOf, incidentCover, type ActiveSilence } from '../silences/index.js';
import { silenceLine } from '../domain/silences.js';
import { shadowHold } from './shadow.js';
import { enqueue, enqueueNotification, job } from '../jobs/index.js';
import { waitingJobs } from './schedule.js';
import { transitionOne } from './transition.js';
import type { ServiceDeps } from './types.js';

/**
 * One gate before every execution (ARCHITECTURE.md): approval from any channel, auto-approval and
 * revert all pass it, inside the transaction that claims the execution. It is a list of named
 * checks; each returns a refusal with a code and a reason, or nothing. Add one by appending it.
 */

type ProposalRow = typeof schema.proposals.$inferSelect;
const { proposals, executions, incidents } = schema;

export interface GateContext {
  tx: Tx;
  deps: ServiceDeps;
  /** The proposal row, locked FOR UPDATE by the caller. */
  proposal: ProposalRow;
  operation: 'execute' | 'revert';
  /** Approved by the policy (or a system actor's revert) rather than a person. */
  automatic: boolean;
  /** The I/O half of the re-check, done before the transaction (gateway reads, risk scored again). */
  recheck?: RecheckResult | undefined;
  now: Date;
}

/**
 * shadow: nothing executes in shadow mode (an approval records what it would do; a revert is 422);
 * paused: the kill switch (423); stale: the re-check (409, the proposal is marked stale);
 * held: a brake on automatic execution (the proposal waits for a human instead);
 * silenced: a silence covers the incident (409; the proposal waits until it ends).
 */
export type RefusalCode = 'shadow' | 'paused' | 'stale' | 'held' | 'silenced';

export interface Refusal {
  check: string;
  code: RefusalCode;
  reason: string;
  details?: Record<string, unknown>;
}

export interface GateCheck {
  name: string;
  run(ctx: GateContext): Promise<Refusal | undefined>;
}

const BRAKES_LOCK = 7400133;
const HOUR_MS = 3_600_000;

/** Shadow mode, the agent's or the proposal's: first, as it refuses whatever else holds. */
export const shadow: GateCheck = {
  name: 'shadow',
  async run(ctx) {
    const reason = shadowHold(ctx.deps, ctx.proposal);
    return reason ? { check: 'shadow', code: 'shadow', reason } : undefined;
  },
};

export const killSwitch: GateCheck = {
  name: 'kill_switch',
  async run(ctx) {
    const s = await readSwitch(ctx.tx, 'share');
    if (!s.paused) return undefined;
    const [brake] = holdingBrakes({ paused: { by: s.pausedBy, reason: s.pausedReason, at: s.pausedAt } }, ctx.deps.safety);
    return { check: 'kill_switch', code: ctx.automatic && ctx.operation === 'execute' ? 'held' : 'paused', reason: brake!.reason, details: { paused_by: s.pausedBy, paused_reason: s.pausedReason, paused_at: s.pausedAt?.toISOString() ?? null } };
  },
};

/** A silence covering the incident: nothing executes while it lasts, from any path; the proposal waits. */
export const silence: GateCheck = {
  name: 'silence',
  async run(ctx) {
    if (ctx.operation !== 'execute') return undefined;
    const [inc, active] = await Promise.all([lockedIncident(ctx), activeSilences(ctx.tx, ctx.deps, ctx.deps.clock.now())]);
    const cover = inc ? coverOf(active, inc) : undefined;
    if (!cover) return undefined;
    const reason = silenceLine(cover, ctx.now, ctx.deps.policy.timeZone);
    return { check: 'silence', code: 'silenced', reason, details: { silence_id: cover.id, until: cover.until.toISOString() } };
  },
};

/** The re-check: the result read before the transaction, and the incident read again under a share lock. */
export const recheckCheck: GateCheck = {
  name: 'recheck',
  async run(ctx) {
    if (ctx.operation !== 'execute') return undefined;
    const inc = await lockedIncident(ctx);
    const checked = [...(ctx.recheck?.checked ?? [])];
    if (!inc || inc.status !== 'open') {
      const reason = `the incident closed${inc?.closedAt ? ` at ${inc.closedAt.toISOString()}` : ''} since the proposal`;
      return { check: 'recheck', code: 'stale', reason, details: { checked: [...checked.filter((c) => c.check !== 'incident'), { check: 'incident', ok: false, detail: reason }] } };
    }
    if (!ctx.recheck) return { check: 'recheck', code: 'stale', reason: 'could not confirm the current state (no re-check was made)', details: { checked } };
    if (ctx.recheck.stale) return { check: 'recheck', code: 'stale', reason: ctx.recheck.stale, details: { checked } };
    return undefined;
  },
};

type LockedIncident = Pick<typeof schema.incidents.$inferSelect, 'status' | 'closedAt' | 'type' | 'latest'>;
const lockedIncidents = new WeakMap<GateContext, Promise<LockedIncident | undefined>>();

/**
 * The incident as the claim sees it, read once for the checks that need it (silence, re-check):
 * the share lock orders this claim with a closing incident, whichever commits first, the other sees it.
 */
function lockedIncident(ctx: GateContext): Promise<LockedIncident | undefined> {
  let read = lockedIncidents.get(ctx);
  if (!read) {
    read = ctx.tx
      .select({ status: incidents.status, closedAt: incidents.closedAt, type: incidents.type, latest: incidents.latest })
      .from(incidents)
      .where(eq(incidents.id, ctx.proposal.incidentId))
      .for('share')
      .then(([inc]) => inc);
    lockedIncidents.set(ctx, read);
  }
  return read;
}

/** Same action, same target, executed inside SRE_ACTION_COOLDOWN: an automatic approval waits for a human. */
export const cooldown: GateCheck = {
  name: 'cooldown',
  async run(ctx) {
    if (!ctx.automatic || ctx.operation !== 'execute') return undefined;
    const brakes = await brakesFor(ctx.tx, ctx.deps, ctx.proposal, ctx.now, { lock: true });
    const held = holdingBrakes({ cooldown: brakes.cooldown }, ctx.deps.safety)[0];
    return held ? { check: held.check, code: 'held', reason: held.reason } : undefined;
  },
};

/** Executions in the last hour, all replicas: at the cap an automatic approval waits for a human. */
export const hourlyCap: GateCheck = {
  name: 'hourly_cap',
  async run(ctx) {
    if (!ctx.automatic || ctx.operation !== 'execute') return undefined;
    const brakes = await brakesFor(ctx.tx, ctx.deps, ctx.proposal, ctx.now, { lock: true });
    const held = holdingBrakes({ executionsLastHour: brakes.executionsLastHour }, ctx.deps.safety)[0];
    return held ? { check: held.check, code: 'held', reason: held.reason } : undefined;
  },
};

export const GATE_CHECKS: readonly GateCheck[] = [shadow, killSwitch, silence, recheckCheck, cooldown, hourlyCap];

/** Runs the checks; the first refusal in their order wins. */
export function passGate(ctx: GateContext, checks: readonly GateCheck[] = GATE_CHECKS): Promise<Refusal | undefined> {
  const attributes = { 'sre.gate.operation': ctx.operation, 'sre.gate.automatic': ctx.automatic, 'sre.proposal.id': ctx.proposal.id };
  // The gate as a span, each check a child span saying whether it passed: a refusal names its check.
  // The checks only read (and take transaction-scoped locks), so their reads are sent together on
  // the transaction's one connection; the first refusal in the list's order is the answer.
  return withSpan('sre.gate', { attributes }, async (gate) => {
    const results = await Promise.all(
      checks.map((c) =>
        withSpan(`sre.gate.check ${c.name}`, { attributes: { 'sre.gate.check': c.name } }, async (span) => {
          const refusal = await c.run(ctx);
          span.setAttribute('sre.gate.result', refusal ? refusal.code : 'pass');
          return refusal;
        }),
      ),
    );
    const r = results.find((x) => x !== undefined);
    if (!r) {
      gate.setAttribute('sre.gate.result', 'pass');
      return undefined;
    }
    ctx.deps.metrics?.gateRefusals.inc({ check: r.check, code: r.code, operation: ctx.operation });
    gate.setAttributes({ 'sre.gate.result': 'refused', 'sre.gate.refused_by': r.check, 'sre.gate.code': r.code });
    return r;
  });
}

/**
 * The counts behind the cooldown and the hourly cap, from PostgreSQL. With `lock`, one advisory
 * lock serialises automatic claims across replicas, so two never both take the last slot.
 */
export async function brakesFor(
  ex: Tx | ServiceDeps['db'],
  deps: Pick<ServiceDeps, 'safety'>,
  p: Pick<ProposalRow, 'id' | 'action' | 'target'>,
  now: Date,
  opts: { lock?: boolean } = {},
): Promise<Pick<Brakes, 'cooldown' | 'executionsLastHour'>> {
  if (opts.lock) await ex.execute(sql`select pg_advisory_xact_lock(${BRAKES_LOCK})`);
  const [hour] = await ex
    .select({ n: count() })
    .from(executions)
    .where(and(eq(executions.operation, 'execute'), gte(executions.startedAt, new Date(now.getTime() - HOUR_MS))));
  const [last] = await ex
    .select({ at: executions.startedAt })
    .from(executions)
    .innerJoin(proposals, eq(proposals.id, executions.proposalId))
    .where(
      and(
        eq(executions.operation, 'execute'),
        eq(proposals.action, p.action),
        eq(proposals.target, p.target),
        ne(proposals.id, p.id),
        gte(executions.startedAt, new Date(now.getTime() - deps.safety.actionCooldownMs)),
      ),
    )
    .orderBy(desc(executions.startedAt))
    .limit(1);
  return { executionsLastHour: Number(hour?.n ?? 0), ...(last ? { cooldown: { action: p.action, target: p.target, at: last.at } } : {}) };
}

const GATE: Actor = { type: 'system', name: 'policy' };

/**
 * Records a refusal in the claiming transaction. stale: the proposal is marked so and, when its
 * incident is still open, a fresh proposal is due (a timer, so a crash loses nothing). held and
 * paused: the proposal goes back to waiting for a human, with the reason among its risk factors.
 */
export async function recordRefusal(ctx: GateContext, r: Refusal, actor: Actor = GATE): Promise<{ fresh: boolean }> {
  const { tx, deps, proposal: p, now } = ctx;
  const refs = { incidentId: p.incidentId, proposalId: p.id };
  if (r.code === 'stale') {
    await transitionOne(tx, p.id, 'approved', 'stale', { staleReason: r.reason, updatedAt: now });
    const [inc] = await tx.select({ status: incidents.status }).from(incidents).where(eq(incidents.id, p.incidentId));
    const fresh = inc?.status === 'open';
    if (fresh) await enqueue(tx, job('refresh', `refresh:${p.id}`, now, { incident_id: p.incidentId, replaces: p.id }));
    await appendAudit(tx, {
      kind: 'proposal.stale',
      actor,
      ...refs,
      payload: { reason: r.reason, checked: (r.details?.checked as Record<string, unknown>[] | undefined) ?? [], fresh_proposal: fresh, approved_by: p.decidedBy },
    });
    await enqueueNotification(tx, deps, 'proposal.decided', refs, { decision: 'stale', reason: r.reason });
    deps.metrics?.proposalsTransitions.inc({ action: p.action, status: 'stale' });
    return { fresh };
  }
  // held or paused: back to pending, undecided, with the reason shown among the factors.
  const factors = [...p.riskFactors.filter((f) => f.name !== r.check), { name: r.check, delta: 0, reason: r.reason }];
  await transitionOne(tx, p.id, 'approved', 'pending', { route: 'gate', decidedBy: null, decidedVia: null, decidedAt: null, decisionReason: null, riskFactors: factors, updatedAt: now });
  await enqueue(tx, waitingJobs(deps, p.id, p.expiresAt, now));
  await appendAudit(tx, { kind: 'proposal.held', actor, ...refs, payload: { reason: r.reason, check: r.check, approved_by: p.decidedBy } });
  await enqueueNotification(tx, deps, 'proposal.decided', refs, { decision: 'held', reason: r.reason });
  deps.metrics?.proposalsTransitions.inc({ action: p.action, status: 'pending' });
  return { fresh: false };
}

/** What the pre-checks of an approval read, read once and side by side (approvalReads). */
export interface Known {
  switch: Awaited<ReturnType<typeof readSwitch>>;
  proposal: ProposalRow | undefined;
  /** The proposal's incident, what a silence matches on. */
  incident: { type: string; latest: Record<string, unknown> } | undefined;
  /** The silences in force when read. */
  silences: ActiveSilence[];
}

/** The kill switch, the proposal with its incident, and the silences in force: one round of reads before an approval's pre-checks. */
export async function approvalReads(deps: ServiceDeps, proposalId: string): Promise<Known> {
  const r = reader(deps);
  const [sw, [row], active] = await Promise.all([
    readSwitch(r),
    r.select({ proposal: proposals, incident: { type: incidents.type, latest: incidents.latest } }).from(proposals).leftJoin(incidents, eq(incidents.id, proposals.incidentId)).where(eq(proposals.id, proposalId)),
    activeSilences(r, deps, deps.clock.now()),
  ]);
  return { switch: sw, proposal: row?.proposal, incident: row?.incident ?? undefined, silences: active };
}

/**
 * Before an approval is recorded: while paused it is answered 423 and nothing changes (the
 * proposal keeps waiting); the refusal is audited. The gate checks the switch again at the claim.
 */
export async function refuseWhilePaused(deps: ServiceDeps, proposalId: string, actor: Actor, known?: Known): Promise<void> {
  const s = known ? known.switch : await readSwitch(reader(deps));
  if (!s.paused) return;
  const [p] = known ? [known.proposal] : await reader(deps).select({ id: proposals.id, incidentId: proposals.incidentId, status: proposals.status }).from(proposals).where(eq(proposals.id, proposalId));
  if (!p || p.status !== 'pending') return;
  const [brake] = holdingBrakes({ paused: { by: s.pausedBy, reason: s.pausedReason, at: s.pausedAt } }, deps.safety);
  await withTransaction(deps, (tx) =>
    appendAudit(tx, { kind: 'decision.refused', actor, incidentId: p.incidentId, proposalId, payload: { code: 'paused', reason: brake!.reason, attempted: 'approve' } }),
  );
  deps.metrics?.decisions.inc({ channel: actorChannel(actor), decision: 'denied' });
  throw new DomainError('paused', `Not approved: ${brake!.reason}. Proposal ${proposalId} still waits for a decision.`, {
    paused_by: s.pausedBy,
    paused_reason: s.pausedReason,
    paused_at: s.pausedAt?.toISOString() ?? null,
  });
}

/**
 * Before an approval is recorded: while a silence covers the incident it is answered 409
 * `silenced` and nothing changes (the proposal is held until the silence ends); audited.
 */
export async function refuseWhileSilenced(deps: ServiceDeps, proposalId: string, actor: Actor, known?: Known): Promise<void> {
  const [p] = known ? [known.proposal] : await reader(deps).select({ incidentId: proposals.incidentId, status: proposals.status }).from(proposals).where(eq(proposals.id, proposalId));
  if (!p || p.status !== 'pending') return;
  const cover = known ? (known.incident ? coverOf(known.silences, known.incident) : undefined) : await incidentCover(reader(deps), deps, p.incidentId);
  if (!cover) return;
  const reason = silenceLine(cover, deps.clock.now(), deps.policy.timeZone);
  await withTransaction(deps, (tx) =>
    appendAudit(tx, { kind: 'decision.refused', actor, incidentId: p.incidentId, proposalId, payload: { code: 'silenced', reason, attempted: 'approve', silence_id: cover.id } }),
  );
  deps.metrics?.decisions.inc({ channel: actorChannel(actor), decision: 'denied' });
  throw new DomainError('silenced', `Not approved: ${reason}. Proposal ${proposalId} is held until the silence ends.`, { silence_id: cover.id, until: cover.until.toISOString() });
}
