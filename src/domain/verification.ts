import type { ActionRequest } from './actions.js';
import type { EventType } from './events.js';

/**
 * Verification after an execution, as pure rules: how long to watch, how bad an event is, and the
 * verdict from the incident's own later events and a read of the target. The caller does the I/O.
 */

export type Operation = 'execute' | 'revert';
export type Observation = 'applied' | 'not_applied' | 'unknown';

/**
 * How long an action is watched; undefined when there is nothing to watch (a page changes nothing
 * on the gateway). A circuit-break is judged before it restores itself.
 */
export function verifyWindowFor(request: ActionRequest, windowMs: number): number | undefined {
  if (request.action === 'page_oncall') return undefined;
  if (request.action === 'circuit_break_provider') return Math.max(1000, Math.min(windowMs, request.params.duration_seconds * 1000 - 5000));
  return windowMs;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One number per event, larger is worse; undefined when the event does not say. */
export function severityOf(type: EventType | string, data: Record<string, unknown>): number | undefined {
  switch (type) {
    case 'provider.unhealthy':
      return num(data.error_rate);
    case 'latency.spike': {
      const l = num(data.latency_ms);
      const m = num(data.rolling_median_ms);
      return l !== undefined && m !== undefined && m > 0 ? l / m : l;
    }
    case 'sla.violation': {
      const o = num(data.observed);
      const t = num(data.target);
      if (o === undefined || t === undefined) return undefined;
      // success_rate: the error share against the allowed one; latency: observed over target.
      if (data.metric === 'success_rate') return t < 1 ? (1 - o) / (1 - t) : 1 - o;
      return t > 0 ? o / t : o;
    }
    case 'budget.exceeded': {
      const s = num(data.spend_usd);
      const l = num(data.limit_usd);
      return s !== undefined && l !== undefined && l > 0 ? s / l : s;
    }
    default:
      return undefined;
  }
}

export interface VerdictInput {
  operation: Operation;
  windowMs: number;
  /** The incident's severity when the action ran. */
  baseline: number | undefined;
  /** Severities of the incident's events received after the action. */
  later: (number | undefined)[];
  /** What a read of the target shows; an Error when the read failed. */
  observed: Observation | Error;
}

export interface Verdict {
  passed: boolean;
  reason: string;
  evidence: Record<string, unknown>;
}

export function verdict(input: VerdictInput): Verdict {
  const { baseline, later, observed, operation } = input;
  const read = observed instanceof Error ? `read failed: ${observed.message.slice(0, 200)}` : observed;
  const worse = baseline === undefined ? later.filter((s) => s !== undefined) : later.filter((s): s is number => s !== undefined && s >= baseline);
  const evidence = { window_ms: input.windowMs, baseline_severity: baseline ?? null, later_events: later.length, same_or_worse: worse.length, target_read: read };
  const mins = `${Math.round(input.windowMs / 60_000) || '<1'} min`;
  if (operation === 'revert') {
    if (observed === 'applied') return { passed: false, reason: 'the gateway still shows the change after the revert', evidence };
    return { passed: true, reason: `the revert holds (target read: ${read})`, evidence };
  }
  if (observed === 'not_applied') return { passed: false, reason: 'the gateway no longer shows the change', evidence };
  if (worse.length > 0) {
    const worst = Math.max(...worse.map((s) => s ?? 0));
    return { passed: false, reason: `${worse.length} event(s) at the same or worse severity after the action (worst ${round(worst)} vs ${baseline === undefined ? '?' : round(baseline)} before): it did not help`, evidence };
  }
  return { passed: true, reason: `no event at the same or worse severity within ${mins} (target read: ${read})`, evidence };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
