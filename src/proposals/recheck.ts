import { eq, max } from 'drizzle-orm';
import type { GatewayReads } from '../actions/gateway.js';
import { schema } from '../db/client.js';
import { storedRequest, type ActionRequest } from '../domain/actions.js';
import type { EventType } from '../domain/events.js';
import { recheck, type RecheckResult, type TargetState } from '../domain/recheck.js';
import type { RiskFactor } from '../domain/risk.js';
import { gatherFacts, scoreProposal, scoringHistory } from './score.js';
import type { ServiceDeps } from './types.js';

type ProposalRow = typeof schema.proposals.$inferSelect;

/** Reads the target through the gateway; throws when the read fails or the gateway does not know it. */
export async function readTarget(reads: GatewayReads, req: ActionRequest): Promise<TargetState> {
  const missing = (what: string): never => {
    throw new Error(`the gateway does not know ${what}`);
  };
  switch (req.action) {
    case 'circuit_break_provider': {
      const p = (await reads.getProvider(req.params.provider)) ?? missing(`provider ${req.params.provider}`);
      return { kind: 'provider', healthy: p.healthy, circuit_open_until: p.circuit_open_until ?? null };
    }
    case 'reroute_model_group': {
      const g = (await reads.getModelGroup(req.params.model_group)) ?? missing(`model group ${req.params.model_group}`);
      return { kind: 'model_group', provider: g.provider };
    }
    case 'raise_rate_limit': {
      const t = (await reads.getTeam(req.params.team)) ?? missing(`team ${req.params.team}`);
      return { kind: 'team', requests_per_minute: t.requests_per_minute };
    }
    case 'bump_budget_cap': {
      const b = (await reads.getBudget(req.params.scope, req.params.scope_id)) ?? missing(`budget ${req.params.scope}/${req.params.scope_id}`);
      return { kind: 'budget', hard_limit_usd: b.hard_limit_usd };
    }
    case 'disable_guardrail_rule': {
      if (!reads.getGuardrail) return { kind: 'unknown', why: 'the gateway has no guardrail read' };
      const g = (await reads.getGuardrail(req.params.rule)) ?? missing(`guardrail rule ${req.params.rule}`);
      return { kind: 'guardrail', enabled: g.enabled };
    }
    case 'disable_sla_contract': {
      if (!reads.getSla) return { kind: 'unknown', why: 'the gateway has no SLA read' };
      const s = (await reads.getSla(req.params.sla_id)) ?? missing(`SLA contract ${req.params.sla_id}`);
      return { kind: 'sla', enabled: s.enabled };
    }
    case 'page_oncall':
      return { kind: 'unknown', why: 'a page changes nothing on the gateway' };
  }
}

/** The snapshot stored with a new proposal; a failed read stores nothing (the re-check then relies on the params). */
export async function snapshotTarget(reads: GatewayReads, req: ActionRequest): Promise<TargetState | undefined> {
  try {
    return await readTarget(reads, req);
  } catch {
    return undefined;
  }
}

/**
 * One re-check asks the gateway once per provider and model group: the target read and the facts
 * of the new score share the answer (each still handles a failed read its own way).
 */
function readsOnce(g: GatewayReads): GatewayReads {
  const once = <T>(cache: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> => {
    let p = cache.get(key);
    if (!p) cache.set(key, (p = read()));
    return p;
  };
  const providers = new Map<string, ReturnType<GatewayReads['getProvider']>>();
  const groups = new Map<string, ReturnType<GatewayReads['getModelGroup']>>();
  return {
    getProvider: (name) => once(providers, name, () => g.getProvider(name)),
    getModelGroup: (name) => once(groups, name, () => g.getModelGroup(name)),
    getTeam: (id) => g.getTeam(id),
    getBudget: (scope, id) => g.getBudget(scope, id),
    ...(g.getGuardrail ? { getGuardrail: (rule: string) => g.getGuardrail!(rule) } : {}),
    ...(g.getSla ? { getSla: (id: string) => g.getSla!(id) } : {}),
  };
}

/**
 * The I/O half of the re-check, done before the claiming transaction: the incident, its last
 * event, the target read again, and the risk scored again now. The gate applies the result.
 */
export async function recheckProposal(deps: ServiceDeps, p: ProposalRow, opts: { resend?: boolean } = {}): Promise<RecheckResult> {
  const now = deps.clock.now();
  const request = storedRequest(p);
  // The target read runs beside the database reads and the facts for the new score: an approval waits on all of them.
  const reads = readsOnce(deps.gateway);
  const targetRead = readTarget(reads, request).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  const [[incident], [last]] = await Promise.all([
    deps.db.select().from(schema.incidents).where(eq(schema.incidents.id, p.incidentId)),
    deps.db.select({ at: max(schema.events.receivedAt) }).from(schema.events).where(eq(schema.events.incidentId, p.incidentId)),
  ]);
  const ctx = incident
    ? { incident: { ...incident, type: incident.type as EventType } }
    : undefined;
  // The score's history is read beside the gateway's answers: it needs only the incident's key.
  const [target, facts, known] = await Promise.all([
    targetRead,
    ctx ? gatherFacts(reads, ctx) : Promise.resolve({ reads: {} }),
    ctx ? scoringHistory(deps, { incidentKey: ctx.incident.key, request, now, excludeProposalId: p.id }) : undefined,
  ]);
  const model = p.riskFactors.find((f: RiskFactor) => f.name === 'model_adjustment');
  const risk = ctx
    ? await scoreProposal(deps, { ctx, request, facts, now, modelAdjustment: model ? { delta: model.delta, reason: model.reason } : undefined, excludeProposalId: p.id }, known)
    : { score: p.riskScore, factors: p.riskFactors };
  return recheck({
    request,
    at: now,
    proposal: { createdAt: p.createdAt, riskScore: p.riskScore, targetState: (p.targetState ?? undefined) as TargetState | undefined },
    incident: incident ? { status: incident.status, closedAt: incident.closedAt, lastEventAt: last?.at ? new Date(last.at) : null } : { status: 'missing', closedAt: null, lastEventAt: null },
    target,
    risk,
    policy: deps.policy,
    quietMs: deps.safety.verifyWindowMs,
    ...(opts.resend ? { resend: true } : {}),
  });
}
