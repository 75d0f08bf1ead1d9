import { MAX_RECORDED_READS, type GatewayRead, type GatewayReadKind } from '../domain/decision-record.js';
import type { GatewayReads } from './gateway.js';

/**
 * The gateway reads a proposal was made from, recorded as they were answered, and a stand-in that
 * answers from such a record (the replay of issue 19, item 4): no network, the same answers.
 * The first answer to a read is the one kept; a read never recorded fails as a down admin-api would.
 */

type Method = 'getProvider' | 'getModelGroup' | 'getTeam' | 'getBudget' | 'getGuardrail' | 'getSla';
const METHODS: Record<Method, GatewayReadKind> = { getProvider: 'provider', getModelGroup: 'model_group', getTeam: 'team', getBudget: 'budget', getGuardrail: 'guardrail', getSla: 'sla' };
const keyOf = (args: readonly string[]) => args.join('/');

/** The record's answers are plain JSON data: objects as the gateway gave them, copied. */
const asObject = (v: unknown): Record<string, unknown> | null => (v === undefined || v === null ? null : (JSON.parse(JSON.stringify(v)) as Record<string, unknown>));

export interface ReadRecorder {
  gateway: GatewayReads;
  /** Every distinct read answered so far, in the order they were first asked. */
  reads(): GatewayRead[];
}

export function recordReads(inner: GatewayReads): ReadRecorder {
  const seen = new Map<string, GatewayRead>();
  const keep = (r: GatewayRead) => {
    const k = `${r.read}:${r.key}`;
    if (!seen.has(k) && seen.size < MAX_RECORDED_READS) seen.set(k, r);
  };
  const wrap = <A extends string[], T>(method: Method, call: (...a: A) => Promise<T>) =>
    async (...args: A): Promise<T> => {
      const base = { read: METHODS[method], key: keyOf(args) };
      try {
        const v = await call(...args);
        keep({ ...base, result: asObject(v) });
        return v;
      } catch (e) {
        keep({ ...base, error: (e instanceof Error ? e.message : String(e)).slice(0, 500) });
        throw e;
      }
    };
  const gateway: GatewayReads = {
    getProvider: wrap('getProvider', (n: string) => inner.getProvider(n)),
    getModelGroup: wrap('getModelGroup', (n: string) => inner.getModelGroup(n)),
    getTeam: wrap('getTeam', (id: string) => inner.getTeam(id)),
    getBudget: wrap('getBudget', (scope: 'team' | 'org', id: string) => inner.getBudget(scope, id)),
    ...(inner.getGuardrail ? { getGuardrail: wrap('getGuardrail', (rule: string) => inner.getGuardrail!(rule)) } : {}),
    ...(inner.getSla ? { getSla: wrap('getSla', (id: string) => inner.getSla!(id)) } : {}),
  };
  return { gateway, reads: () => [...seen.values()] };
}

/** Thrown for a read the record does not hold or that failed when it was recorded. */
export class UnrecordedRead extends Error {}

/** A gateway that answers from recorded reads only. Null reads (none recorded): every read fails. */
export function replayReads(recorded: readonly GatewayRead[] | null): GatewayReads {
  const byKey = new Map((recorded ?? []).map((r) => [`${r.read}:${r.key}`, r]));
  const answer = <T>(read: GatewayReadKind, args: readonly string[]): Promise<T> => {
    const r = byKey.get(`${read}:${keyOf(args)}`);
    if (!r) return Promise.reject(new UnrecordedRead(`${read} ${keyOf(args)} was not read when the proposal was made`));
    if ('error' in r) return Promise.reject(new UnrecordedRead(`${read} ${keyOf(args)} failed when the proposal was made: ${r.error}`));
    // The record holds the gateway's own answer; the caller reads it as the type it asked for.
    return Promise.resolve((r.result ?? undefined) as T);
  };
  return {
    getProvider: (n) => answer('provider', [n]),
    getModelGroup: (n) => answer('model_group', [n]),
    getTeam: (id) => answer('team', [id]),
    getBudget: (scope, id) => answer('budget', [scope, id]),
    getGuardrail: (rule) => answer('guardrail', [rule]),
    getSla: (id) => answer('sla', [id]),
  };
}
