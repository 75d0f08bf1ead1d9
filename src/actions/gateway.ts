import type { AdminCall } from '../domain/actions.js';

/**
 * The gateway's admin-api as the agent sees it: writes described as AdminCall data, each sent with
 * an Idempotency-Key, and the reads CONTRACT.md allows. Two implementations: the HTTP client
 * (admin-api.ts) and the in-process simulated gateway (simulated.ts), used when ADMIN_API_URL is unset.
 */

export interface GatewayResponse {
  status: number;
  body: Record<string, unknown>;
}

export interface ProviderInfo {
  name: string;
  healthy: boolean;
  error_rate?: number;
  requests_per_minute?: number;
  /** How many teams send traffic through it. */
  teams?: number;
  model_groups?: string[];
  circuit_open_until?: string | null;
}

export interface ModelGroupInfo {
  name: string;
  /** The provider traffic is routed to now. */
  provider: string;
  providers: { name: string; healthy: boolean }[];
  requests_per_minute?: number;
  teams?: number;
}

export interface TeamInfo {
  id: string;
  name?: string;
  requests_per_minute: number;
}

export interface BudgetInfo {
  scope: 'team' | 'org';
  scope_id: string;
  hard_limit_usd: number;
  soft_limit_usd?: number;
  spend_usd?: number;
}

export interface GatewayReads {
  getProvider(name: string): Promise<ProviderInfo | undefined>;
  getModelGroup(name: string): Promise<ModelGroupInfo | undefined>;
  getTeam(id: string): Promise<TeamInfo | undefined>;
  getBudget(scope: 'team' | 'org', scopeId: string): Promise<BudgetInfo | undefined>;
  /** Optional reads (the simulated gateway has them; CONTRACT.md's admin-api does not promise them). */
  getGuardrail?(rule: string): Promise<ToggleInfo | undefined>;
  getSla?(slaId: string): Promise<ToggleInfo | undefined>;
}

/** A guardrail rule or an SLA contract: on or off. */
export interface ToggleInfo {
  id: string;
  enabled: boolean;
}

export interface Gateway extends GatewayReads {
  readonly kind: 'admin-api' | 'simulated';
  /**
   * Sends one write. The same idempotency key always means the same write: the admin-api replays
   * the first answer instead of applying it again. Throws ExecutionError.
   */
  send(call: AdminCall, idempotencyKey: string): Promise<GatewayResponse>;
}

/** A failed call; `retryable` says whether the same key may be sent again later (5xx, network, timeout). */
export class ExecutionError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExecutionError';
  }
}

export interface PageRequest {
  dedupKey: string;
  summary: string;
  severity: 'critical' | 'error' | 'warning' | 'info';
  source: string;
  details?: Record<string, unknown>;
  links?: { href: string; text: string }[];
}

/** PagerDuty Events API v2 (trigger and resolve); a no-op twin records pages when unconfigured. */
export interface Pager {
  readonly kind: 'pagerduty' | 'log';
  trigger(page: PageRequest): Promise<{ dedup_key: string; status: string }>;
  resolve(dedupKey: string): Promise<void>;
}
