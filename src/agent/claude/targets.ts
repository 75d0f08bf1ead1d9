import type { GatewayReads } from '../../actions/gateway.js';
import { systemClock, type Clock, type TimerHandle } from '../../clock.js';
import { BudgetExceededData, LatencySpikeData, ProviderUnhealthyData, SlaViolationData } from '../../domain/events.js';
import type { IncidentContext } from '../reasoner.js';

/**
 * The only names the model may put in a proposal, built in code from the incident and the
 * gateway's reads. They become enums in the tool schemas and are checked again on every call.
 */
export interface IncidentTargets {
  /** The provider the incident is about (circuit-break target). */
  provider?: string;
  /** Model groups the provider serves; `current` is where traffic goes now. */
  modelGroups: { name: string; current: string; alternatives: string[] }[];
  /** Teams named by the incident, with their current rate limit. */
  teams: { id: string; requestsPerMinute: number }[];
  budget?: { scope: 'team' | 'org'; scopeId: string; hardLimitUsd: number };
  slaIds: string[];
  /** Every provider name an investigation read may ask about. */
  knownProviders: string[];
  /** Facts for risk scoring and the prompt, where the reads knew them. */
  facts: { requestsPerMinute?: number; teamsAffected?: number; healthyAlternatives?: number };
  /** Reads that failed or found nothing (the run goes on without them). */
  notes: string[];
  /** The provider's model groups that would have no healthy provider left if it were circuit-broken. */
  strandedIfBroken?: string[];
}

const MAX_GROUPS = 5;
export const DEFAULT_READ_TIMEOUT_MS = 2_000;

/** A read slower than `ms` of the clock counts as failed: a hung admin-api must not hold the run past its caps. */
export function withTimeout<T>(p: Promise<T>, ms: number, clock: Clock = systemClock): Promise<T> {
  let timer: TimerHandle | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.after(ms, () => reject(Object.assign(new Error(`read timed out after ${ms} ms`), { name: 'ReadTimeout' })));
  });
  return Promise.race([p, timeout]).finally(() => timer?.cancel());
}

export async function buildTargets(
  ctx: IncidentContext,
  gateway: GatewayReads,
  readTimeoutMs = DEFAULT_READ_TIMEOUT_MS,
  clock: Clock = systemClock,
): Promise<IncidentTargets> {
  const t: IncidentTargets = { modelGroups: [], teams: [], slaIds: [], knownProviders: [], facts: {}, notes: [] };
  const read = async <T>(what: string, f: () => Promise<T | undefined>): Promise<T | undefined> => {
    try {
      const v = await withTimeout(f(), readTimeoutMs, clock);
      if (v === undefined) t.notes.push(`${what}: not found`);
      return v;
    } catch (err) {
      t.notes.push(`${what}: read failed (${err instanceof Error ? err.name : 'error'})`);
      return undefined;
    }
  };
  const data = ctx.incident.latest;

  const addTeam = async (id: string) => {
    const team = await read(`team ${id}`, () => gateway.getTeam(id));
    if (team && !t.teams.some((x) => x.id === id)) t.teams.push({ id, requestsPerMinute: team.requests_per_minute });
  };

  switch (ctx.incident.type) {
    case 'provider.unhealthy':
    case 'latency.spike': {
      const parsed =
        ctx.incident.type === 'provider.unhealthy' ? ProviderUnhealthyData.safeParse(data) : LatencySpikeData.safeParse(data);
      if (!parsed.success) {
        t.notes.push('latest event data did not parse');
        break;
      }
      const provider = parsed.data.provider;
      t.provider = provider;
      t.knownProviders.push(provider);
      const info = await read(`provider ${provider}`, () => gateway.getProvider(provider));
      if (info?.requests_per_minute !== undefined) t.facts.requestsPerMinute = info.requests_per_minute;
      if (info?.teams !== undefined) t.facts.teamsAffected = info.teams;
      const groups = parsed.data.model_group ? [parsed.data.model_group] : (info?.model_groups ?? []).slice(0, MAX_GROUPS);
      let healthy = 0;
      const healthyOthers = new Map<string, number>();
      for (const name of groups) {
        const g = await read(`model group ${name}`, () => gateway.getModelGroup(name));
        if (!g) continue;
        healthyOthers.set(name, g.providers.filter((p) => p.healthy && p.name !== provider).length);
        const alternatives = g.providers.filter((p) => p.healthy && p.name !== provider && p.name !== g.provider).map((p) => p.name);
        healthy = Math.max(healthy, g.providers.filter((p) => p.healthy && p.name !== provider).length);
        for (const p of [g.provider, ...g.providers.map((x) => x.name)]) if (!t.knownProviders.includes(p)) t.knownProviders.push(p);
        t.modelGroups.push({ name, current: g.provider, alternatives });
      }
      if (t.modelGroups.length > 0) t.facts.healthyAlternatives = healthy;
      // A break sheds every group of the provider, not only the one the event names.
      const all = [...new Set([...groups, ...(info?.model_groups ?? [])])].slice(0, MAX_GROUPS + 1);
      await Promise.all(
        all
          .filter((name) => !groups.includes(name))
          .map(async (name) => {
            const g = await read(`model group ${name}`, () => gateway.getModelGroup(name));
            if (g) healthyOthers.set(name, g.providers.filter((p) => p.healthy && p.name !== provider).length);
          }),
      );
      if (info || t.modelGroups.length > 0) t.strandedIfBroken = all.filter((name) => healthyOthers.get(name) === 0);
      break;
    }
    case 'sla.violation': {
      const parsed = SlaViolationData.safeParse(data);
      if (!parsed.success) {
        t.notes.push('latest event data did not parse');
        break;
      }
      t.slaIds.push(parsed.data.sla_id);
      if (parsed.data.team) await addTeam(parsed.data.team);
      break;
    }
    case 'budget.exceeded': {
      const parsed = BudgetExceededData.safeParse(data);
      if (!parsed.success) {
        t.notes.push('latest event data did not parse');
        break;
      }
      const { scope, scope_id } = parsed.data;
      const budget = await read(`budget ${scope}/${scope_id}`, () => gateway.getBudget(scope, scope_id));
      // The admin-api's cap is the truth; the event's limit only stands in when the read has nothing.
      const cap = budget?.hard_limit_usd ?? (parsed.data.limit_kind === 'hard' ? parsed.data.limit_usd : undefined);
      if (cap !== undefined && cap > 0) t.budget = { scope, scopeId: scope_id, hardLimitUsd: cap };
      if (scope === 'team') await addTeam(scope_id);
      break;
    }
  }
  return t;
}

/** The team ids an incident names, for risk scoring (SLA team, team budget). */
export function incidentTeams(ctx: IncidentContext): string[] {
  const d = ctx.incident.latest;
  if (ctx.incident.type === 'sla.violation') {
    const p = SlaViolationData.safeParse(d);
    return p.success && p.data.team ? [p.data.team] : [];
  }
  if (ctx.incident.type === 'budget.exceeded') {
    const p = BudgetExceededData.safeParse(d);
    return p.success && p.data.scope === 'team' ? [p.data.scope_id] : [];
  }
  return [];
}
