import type { Logger } from 'pino';
import { z } from 'zod';
import type { GatewayReads } from '../../actions/gateway.js';
import { systemClock, type Clock, type TimerHandle } from '../../clock.js';

/**
 * The gateway's reads as the rules use them. The gateway is another system: every answer is
 * checked before anything is built on it, and a failed, slow or malformed read is no answer.
 */

export const ProviderRead = z.looseObject({
  name: z.string(),
  healthy: z.boolean(),
  error_rate: z.number().min(0).max(1).optional(),
  requests_per_minute: z.number().optional(),
  teams: z.number().optional(),
  model_groups: z.array(z.string()).optional(),
  circuit_open_until: z.string().nullable().optional(),
});
export type ProviderRead = z.infer<typeof ProviderRead>;
export const GroupRead = z.looseObject({
  name: z.string(),
  provider: z.string().trim().min(1).max(200),
  providers: z.array(z.looseObject({ name: z.string().trim().min(1).max(200), healthy: z.boolean() })),
  requests_per_minute: z.number().optional(),
  teams: z.number().optional(),
});
export type GroupRead = z.infer<typeof GroupRead>;
export const TeamRead = z.looseObject({ id: z.string(), requests_per_minute: z.number().int().positive() });
export const BudgetRead = z.looseObject({
  hard_limit_usd: z.number().positive(),
  soft_limit_usd: z.number().optional(),
  spend_usd: z.number().optional(),
});

export interface GroupView {
  name: string;
  group?: GroupRead;
  /** Healthy providers of the group other than the incident's; undefined when the group could not be read. */
  alternatives?: string[];
}

export interface Surroundings {
  info?: ProviderRead;
  /** The group the event names, if any. */
  named?: GroupView;
  groups: GroupView[];
}

export class Reads {
  constructor(
    readonly gw: GatewayReads,
    private readonly timeoutMs: number,
    private readonly logger: Logger | undefined,
    private readonly clock: Clock = systemClock,
  ) {}

  /** A gateway read that never throws: failures, timeouts and malformed answers become undefined. */
  async read<T>(what: string, fn: () => Promise<unknown>, schema: z.ZodType<T>): Promise<T | undefined> {
    let timer: TimerHandle | undefined;
    try {
      const timeout = new Promise<undefined>((resolve) => {
        timer = this.clock.after(this.timeoutMs, () => resolve(undefined));
      });
      const value = await Promise.race([fn(), timeout]);
      if (value === undefined || value === null) return undefined;
      const r = schema.safeParse(value);
      if (!r.success) {
        this.logger?.warn({ what }, 'gateway read returned an unexpected shape; deciding without it');
        return undefined;
      }
      return r.data;
    } catch (err) {
      this.logger?.warn({ what, err: err instanceof Error ? err.message : String(err) }, 'gateway read failed; deciding without it');
      return undefined;
    } finally {
      timer?.cancel();
    }
  }

  /**
   * The provider and its model groups with their healthy alternatives. The group the event names is
   * the only one a re-route may target; the provider's other groups (as the gateway lists them) are
   * read too, to know whether shedding all its traffic would leave one of them with nothing.
   */
  async surroundings(provider: string, named: string | undefined, opts: { namedOnly?: boolean } = {}): Promise<Surroundings> {
    const info = await this.read('provider', () => this.gw.getProvider(provider), ProviderRead);
    const others = opts.namedOnly && named ? [] : (info?.model_groups ?? []);
    const names = [...new Set([...(named ? [named] : []), ...others])].slice(0, named ? 6 : 5);
    // In parallel: a slow admin-api costs one read timeout, not one per group.
    const groups: GroupView[] = await Promise.all(
      names.map(async (name) => {
        const group = await this.read('model group', () => this.gw.getModelGroup(name), GroupRead);
        const alternatives = group?.providers.filter((p) => p.healthy && p.name !== provider).map((p) => p.name);
        return { name, ...(group ? { group } : {}), ...(alternatives ? { alternatives } : {}) };
      }),
    );
    const named_ = named ? groups[0] : undefined;
    return { ...(info ? { info } : {}), ...(named_ ? { named: named_ } : {}), groups };
  }

  team(id: string) {
    return this.read('team', () => this.gw.getTeam(id), TeamRead);
  }

  budget(scope: 'team' | 'org', id: string) {
    return this.read('budget', () => this.gw.getBudget(scope, id), BudgetRead);
  }
}

/** The reads a rule needed and did not get: the provider, and the model group the event names. */
export function missingReads(group: string | undefined, s: { info?: unknown; named?: { group?: unknown } }): string[] {
  return [...(s.info ? [] : ['provider']), ...(group && !s.named?.group ? ['model group'] : [])];
}
