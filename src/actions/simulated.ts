import { systemClock, type Clock } from '../clock.js';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { AdminCall } from '../domain/actions.js';
import { ExecutionError, type BudgetInfo, type Gateway, type GatewayResponse, type ModelGroupInfo, type ProviderInfo, type TeamInfo } from './gateway.js';

/**
 * An in-process stand-in for the admin-api, used when ADMIN_API_URL is unset (`npm start`, the
 * demo). It interprets every AdminCall the action library emits with the admin-api's rules: 404 for
 * unknown targets, 400 for bad bodies, 409 when `previous` is stale, and replay by Idempotency-Key.
 */

export interface SimProvider {
  /** The provider's own health; an open circuit reads as unhealthy regardless. */
  healthy: boolean;
  error_rate: number;
  requests_per_minute: number;
  teams: number;
  model_groups: string[];
  /** ISO time; null when closed. Reads report it closed once the clock passes it. */
  circuit_open_until: string | null;
}

export interface SimModelGroup {
  provider: string;
  providers: string[];
  requests_per_minute: number;
  teams: number;
}

export interface SimTeam {
  name: string;
  requests_per_minute: number;
}

export interface SimBudget {
  scope: 'team' | 'org';
  scope_id: string;
  hard_limit_usd: number;
  soft_limit_usd: number;
  spend_usd: number;
}

export interface SimGuardrail {
  description: string;
  enabled: boolean;
}

export interface SimSla {
  team: string | null;
  metric: 'p95_latency_ms' | 'p99_latency_ms' | 'success_rate';
  target: number;
  enabled: boolean;
}

/** Plain JSON, so a seed can be written by hand and a snapshot compared with toEqual. */
export interface SimulatedState {
  providers: Record<string, SimProvider>;
  model_groups: Record<string, SimModelGroup>;
  teams: Record<string, SimTeam>;
  /** Keyed `${scope}/${scope_id}`. */
  budgets: Record<string, SimBudget>;
  guardrails: Record<string, SimGuardrail>;
  slas: Record<string, SimSla>;
}

export interface SimulatedCall {
  call: AdminCall;
  idempotencyKey: string;
  at: Date;
  status: number;
  /** True when the answer was the replay of an earlier call with the same key. */
  replayed: boolean;
}

export type SimulatedGateway = Gateway & { state(): SimulatedState; calls(): SimulatedCall[] };

const provider = (p: Partial<SimProvider> & Pick<SimProvider, 'requests_per_minute' | 'teams' | 'model_groups'>): SimProvider => ({
  healthy: true,
  error_rate: 0.002,
  circuit_open_until: null,
  ...p,
});

/** A gateway with enough traffic and structure for every playbook branch and the demo. */
export function defaultSimulatedState(): SimulatedState {
  return {
    providers: {
      openai: provider({ requests_per_minute: 4200, teams: 4, model_groups: ['gpt-4o', 'gpt-4o-mini', 'embeddings'] }),
      anthropic: provider({ requests_per_minute: 2600, teams: 3, model_groups: ['claude-sonnet', 'claude-haiku'] }),
      'azure-openai': provider({ requests_per_minute: 900, teams: 2, model_groups: ['gpt-4o', 'gpt-4o-mini', 'embeddings'] }),
      bedrock: provider({ requests_per_minute: 700, teams: 2, model_groups: ['claude-sonnet', 'claude-haiku'] }),
      vertex: provider({ requests_per_minute: 300, teams: 1, model_groups: ['claude-sonnet', 'gemini-pro'] }),
      mistral: provider({ requests_per_minute: 150, teams: 1, model_groups: ['mistral-large'] }),
    },
    model_groups: {
      'gpt-4o': { provider: 'openai', providers: ['openai', 'azure-openai'], requests_per_minute: 2400, teams: 4 },
      'gpt-4o-mini': { provider: 'openai', providers: ['openai', 'azure-openai'], requests_per_minute: 1300, teams: 3 },
      'claude-sonnet': { provider: 'anthropic', providers: ['anthropic', 'bedrock', 'vertex'], requests_per_minute: 2100, teams: 3 },
      'claude-haiku': { provider: 'anthropic', providers: ['anthropic', 'bedrock'], requests_per_minute: 900, teams: 2 },
      embeddings: { provider: 'openai', providers: ['openai', 'azure-openai'], requests_per_minute: 1100, teams: 2 },
      'gemini-pro': { provider: 'vertex', providers: ['vertex'], requests_per_minute: 200, teams: 1 },
      'mistral-large': { provider: 'mistral', providers: ['mistral'], requests_per_minute: 150, teams: 1 },
    },
    teams: {
      't-search': { name: 'Search', requests_per_minute: 1200 },
      't-checkout': { name: 'Checkout', requests_per_minute: 600 },
      't-support': { name: 'Support assistant', requests_per_minute: 400 },
      't-research': { name: 'Research', requests_per_minute: 250 },
    },
    budgets: {
      'team/t-search': { scope: 'team', scope_id: 't-search', hard_limit_usd: 5000, soft_limit_usd: 4000, spend_usd: 3100 },
      'team/t-checkout': { scope: 'team', scope_id: 't-checkout', hard_limit_usd: 2000, soft_limit_usd: 1600, spend_usd: 1450 },
      'team/t-support': { scope: 'team', scope_id: 't-support', hard_limit_usd: 1500, soft_limit_usd: 1200, spend_usd: 700 },
      'team/t-research': { scope: 'team', scope_id: 't-research', hard_limit_usd: 3000, soft_limit_usd: 2500, spend_usd: 2950 },
      'org/acme': { scope: 'org', scope_id: 'acme', hard_limit_usd: 20000, soft_limit_usd: 16000, spend_usd: 11200 },
    },
    guardrails: {
      'pii-redaction': { description: 'redact personal data in prompts and completions', enabled: true },
      'prompt-injection': { description: 'block known prompt-injection patterns', enabled: true },
      'toxicity-filter': { description: 'block toxic completions', enabled: true },
      'max-output-tokens': { description: 'cap completions at 4096 tokens', enabled: true },
    },
    slas: {
      'sla-checkout-p95': { team: 't-checkout', metric: 'p95_latency_ms', target: 2000, enabled: true },
      'sla-search-p99': { team: 't-search', metric: 'p99_latency_ms', target: 4000, enabled: true },
      'sla-support-success': { team: 't-support', metric: 'success_rate', target: 0.995, enabled: true },
    },
  };
}

const reason = z.string().trim().min(1).max(500);
const CircuitBreakBody = z.object({ duration_seconds: z.number().int().min(1).max(300), reason });
const RoutingBody = z.object({ provider: z.string().min(1), previous_provider: z.string().min(1), reason });
const RateLimitBody = z.object({ requests_per_minute: z.number().int().positive(), previous: z.number().int().positive(), reason });
const BudgetBody = z.object({ hard_limit_usd: z.number().positive(), previous: z.number().positive(), reason });
const ReasonBody = z.object({ reason });

type Answer = GatewayResponse;

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  throw new Refusal(400, r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
}

function lookup<T>(table: Record<string, T>, key: string, what: string): T {
  const v = Object.hasOwn(table, key) ? table[key] : undefined;
  if (v === undefined) throw new Refusal(404, `no ${what} ${JSON.stringify(key)}`);
  return v;
}

function segments(path: string): string[] | undefined {
  try {
    return path.split('?')[0]!.split('/').slice(1).map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

const effectivelyHealthy = (p: SimProvider) => p.healthy && p.circuit_open_until === null;

/** One admin-api write applied to the state: the answer, or a Refusal with the status the admin-api would give. */
function applyCall(state: SimulatedState, call: AdminCall, now: () => Date): Answer {
  const seg = segments(call.path);
  if (!seg || seg[0] !== 'v1') throw new Refusal(404, `no route ${call.method} ${call.path}`);
  const [, kind, id, verb, extra] = seg;
  if (id === undefined || id === '') throw new Refusal(404, `no route ${call.method} ${call.path}`);
  // budgets/{scope}/{scope_id} has two ids; every other route is kind/{id}/verb.
  const route = kind === 'budgets' ? `${call.method} budgets` : `${call.method} ${kind}${verb === undefined ? '' : `/${verb}`}${extra === undefined ? '' : '/…'}`;

  switch (route) {
    case 'POST providers/circuit-breaker': {
      const p = lookup(state.providers, id, 'provider');
      const b = parseBody(CircuitBreakBody, call.body);
      p.circuit_open_until = new Date(now().getTime() + b.duration_seconds * 1000).toISOString();
      return { status: 200, body: { provider: id, circuit_open_until: p.circuit_open_until, healthy: false } };
    }
    case 'DELETE providers/circuit-breaker': {
      const p = lookup(state.providers, id, 'provider');
      p.circuit_open_until = null;
      return { status: 200, body: { provider: id, circuit_open_until: null, healthy: effectivelyHealthy(p) } };
    }
    case 'PUT model-groups/routing': {
      const g = lookup(state.model_groups, id, 'model group');
      const b = parseBody(RoutingBody, call.body);
      if (!g.providers.includes(b.provider)) {
        throw new Refusal(400, `provider ${JSON.stringify(b.provider)} is not in model group ${JSON.stringify(id)} (${g.providers.join(', ')})`);
      }
      if (g.provider !== b.previous_provider) {
        throw new Refusal(409, `previous_provider is ${JSON.stringify(b.previous_provider)} but ${id} routes to ${JSON.stringify(g.provider)}`);
      }
      g.provider = b.provider;
      return { status: 200, body: { model_group: id, provider: g.provider, previous_provider: b.previous_provider } };
    }
    case 'PATCH teams/rate-limit': {
      const t = lookup(state.teams, id, 'team');
      const b = parseBody(RateLimitBody, call.body);
      if (t.requests_per_minute !== b.previous) {
        throw new Refusal(409, `previous is ${b.previous} but ${id}'s limit is ${t.requests_per_minute} rpm`);
      }
      t.requests_per_minute = b.requests_per_minute;
      return { status: 200, body: { team: id, requests_per_minute: t.requests_per_minute, previous: b.previous } };
    }
    case 'PATCH budgets': {
      if (verb === undefined || extra !== undefined) throw new Refusal(404, `no route ${call.method} ${call.path}`);
      const budget = lookup(state.budgets, `${id}/${verb}`, 'budget');
      const b = parseBody(BudgetBody, call.body);
      if (budget.hard_limit_usd !== b.previous) {
        throw new Refusal(409, `previous is ${b.previous} but the hard cap of ${id} ${verb} is ${budget.hard_limit_usd}`);
      }
      budget.hard_limit_usd = b.hard_limit_usd;
      return { status: 200, body: { scope: id, scope_id: verb, hard_limit_usd: b.hard_limit_usd, previous: b.previous } };
    }
    case 'POST guardrails/disable':
    case 'POST guardrails/enable': {
      const g = lookup(state.guardrails, id, 'guardrail rule');
      parseBody(ReasonBody, call.body);
      g.enabled = verb === 'enable';
      return { status: 200, body: { rule: id, enabled: g.enabled } };
    }
    case 'POST slas/disable':
    case 'POST slas/enable': {
      const s = lookup(state.slas, id, 'SLA contract');
      parseBody(ReasonBody, call.body);
      s.enabled = verb === 'enable';
      return { status: 200, body: { sla_id: id, enabled: s.enabled } };
    }
    default:
      throw new Refusal(404, `no route ${call.method} ${call.path}`);
  }
}

function answerOrThrow(call: AdminCall, outcome: Answer | Refusal): GatewayResponse {
  if (outcome instanceof Refusal) {
    throw new ExecutionError(`simulated admin-api ${call.method} ${call.path} answered ${outcome.status}: ${outcome.message}`, false, outcome.status);
  }
  return structuredClone(outcome);
}

function providerInfo(name: string, p: SimProvider): ProviderInfo {
  return {
    name,
    healthy: effectivelyHealthy(p),
    error_rate: p.error_rate,
    requests_per_minute: p.requests_per_minute,
    teams: p.teams,
    model_groups: [...p.model_groups],
    circuit_open_until: p.circuit_open_until,
  };
}


export function createSimulatedGateway(opts: { clock?: Pick<Clock, 'now'>; seed?: SimulatedState } = {}): SimulatedGateway {
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now();
  const state: SimulatedState = structuredClone(opts.seed ?? defaultSimulatedState());
  const log: SimulatedCall[] = [];
  const replays = new Map<string, { call: AdminCall; answer: Answer | Refusal }>();

  // Circuits close lazily: whatever touches state first sweeps the expired ones.
  function sweep(): void {
    const t = now().getTime();
    for (const p of Object.values(state.providers)) {
      if (p.circuit_open_until !== null && Date.parse(p.circuit_open_until) <= t) p.circuit_open_until = null;
    }
  }

  return {
    kind: 'simulated',

    async send(call, idempotencyKey) {
      sweep();
      const at = now();
      const copy = structuredClone(call);
      const prior = replays.get(idempotencyKey);
      if (prior) {
        if (!isDeepStrictEqual(prior.call, copy)) {
          const refusal = new Refusal(422, 'Idempotency-Key was already used for a different request');
          log.push({ call: copy, idempotencyKey, at, status: refusal.status, replayed: false });
          return answerOrThrow(copy, refusal);
        }
        log.push({ call: copy, idempotencyKey, at, status: prior.answer.status, replayed: true });
        return answerOrThrow(copy, prior.answer);
      }
      let outcome: Answer | Refusal;
      try {
        outcome = applyCall(state, copy, now);
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
        outcome = e;
      }
      replays.set(idempotencyKey, { call: copy, answer: outcome });
      log.push({ call: copy, idempotencyKey, at, status: outcome.status, replayed: false });
      return answerOrThrow(copy, outcome);
    },

    async getProvider(name) {
      sweep();
      return Object.hasOwn(state.providers, name) ? providerInfo(name, state.providers[name]!) : undefined;
    },

    async getModelGroup(name): Promise<ModelGroupInfo | undefined> {
      sweep();
      if (!Object.hasOwn(state.model_groups, name)) return undefined;
      const g = state.model_groups[name]!;
      return {
        name,
        provider: g.provider,
        providers: g.providers.map((p) => ({ name: p, healthy: Object.hasOwn(state.providers, p) && effectivelyHealthy(state.providers[p]!) })),
        requests_per_minute: g.requests_per_minute,
        teams: g.teams,
      };
    },

    async getTeam(id): Promise<TeamInfo | undefined> {
      if (!Object.hasOwn(state.teams, id)) return undefined;
      const t = state.teams[id]!;
      return { id, name: t.name, requests_per_minute: t.requests_per_minute };
    },

    async getBudget(scope, scopeId): Promise<BudgetInfo | undefined> {
      const key = `${scope}/${scopeId}`;
      if (!Object.hasOwn(state.budgets, key)) return undefined;
      return { ...state.budgets[key]! };
    },

    async getGuardrail(rule) {
      return Object.hasOwn(state.guardrails, rule) ? { id: rule, enabled: state.guardrails[rule]!.enabled } : undefined;
    },

    async getSla(slaId) {
      return Object.hasOwn(state.slas, slaId) ? { id: slaId, enabled: state.slas[slaId]!.enabled } : undefined;
    },

    state() {
      sweep();
      return structuredClone(state);
    },

    calls: () => log.map((c) => ({ ...c, call: structuredClone(c.call), at: new Date(c.at) })),
  };
}
