import type { Logger } from 'pino';
import { ExecutionError, type PageRequest, type Pager } from './gateway.js';
import { DEFAULT_RETRY, errorDetail, fetchWithRetry, readJson, type RetryPolicy } from './http-retry.js';

/**
 * PagerDuty Events API v2: trigger and resolve, keyed by dedup_key (the incident id), so a repeated
 * trigger is one alert. The routing key travels only in the body and never in logs or errors.
 */

export interface PagerDutyOptions {
  routingKey: string;
  eventsUrl: string;
  logger: Logger;
  /** Per attempt; default 5 s. */
  timeoutMs?: number;
  /** Total attempts, the first included; default 3. */
  retries?: number;
  /** Base backoff delay; default 200 ms. */
  backoffMs?: number;
  fetch?: typeof fetch;
}

export const PAGERDUTY_SUMMARY_MAX = 1024;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function createPagerDuty(opts: PagerDutyOptions): Pager {
  new URL(opts.eventsUrl);
  const doFetch = opts.fetch ?? globalThis.fetch;
  const logger = opts.logger.child({ component: 'pagerduty' });
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY,
    attempts: opts.retries ?? DEFAULT_RETRY.attempts,
    timeoutMs: opts.timeoutMs ?? DEFAULT_RETRY.timeoutMs,
    backoffMs: opts.backoffMs ?? DEFAULT_RETRY.backoffMs,
  };
  const secrets = [opts.routingKey];

  async function post(action: 'trigger' | 'resolve', dedupKey: string, event: Record<string, unknown>): Promise<{ dedup_key: string; status: string }> {
    const label = `pagerduty ${action} ${dedupKey}`;
    const res = await fetchWithRetry(
      doFetch,
      {
        label,
        url: opts.eventsUrl,
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ routing_key: opts.routingKey, event_action: action, dedup_key: dedupKey, ...event }),
        },
        retryStatus: (s) => s >= 500 || s === 429,
        secrets,
      },
      policy,
      logger,
    );
    const body = await readJson(res);
    if (!res.ok) {
      const detail = errorDetail(body, secrets);
      throw new ExecutionError(`${label} answered ${res.status}${detail ? `: ${detail}` : ''}`, res.status >= 500 || res.status === 429, res.status);
    }
    const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const result = {
      dedup_key: typeof b.dedup_key === 'string' ? b.dedup_key : dedupKey,
      status: typeof b.status === 'string' ? b.status : 'success',
    };
    logger.info({ action, dedup_key: result.dedup_key, status: res.status }, 'pagerduty event accepted');
    return result;
  }

  return {
    kind: 'pagerduty',
    trigger: (page: PageRequest) =>
      post('trigger', page.dedupKey, {
        payload: {
          summary: truncate(page.summary, PAGERDUTY_SUMMARY_MAX),
          source: page.source,
          severity: page.severity,
          ...(page.details ? { custom_details: page.details } : {}),
        },
        ...(page.links && page.links.length > 0 ? { links: page.links } : {}),
      }),
    async resolve(dedupKey: string) {
      await post('resolve', dedupKey, {});
    },
  };
}

/** Why a page reached nobody: the log-only pager (no PAGERDUTY_ROUTING_KEY). A contract with the renderers. */
export const NOT_PAGED_UNCONFIGURED = 'PagerDuty is not configured';

/** What a page did, stored in results and audit rows: `paged: true`, or `paged: false` and why. */
export type PageOutcome = { paged: true } | { paged: false; not_paged: string };

/** The truth about a page sent through this pager: the log-only twin pages nobody. */
export function pageOutcome(pager: Pick<Pager, 'kind'>): PageOutcome {
  return pager.kind === 'log' ? { paged: false, not_paged: NOT_PAGED_UNCONFIGURED } : { paged: true };
}

export interface LoggedPage {
  action: 'trigger' | 'resolve';
  dedup_key: string;
  page?: PageRequest;
}

/** The twin used when PAGERDUTY_ROUTING_KEY is unset: the page goes to the log, and is kept for inspection. */
export function createLogPager(logger: Logger): Pager & { pages(): LoggedPage[] } {
  const log = logger.child({ component: 'pagerduty' });
  const pages: LoggedPage[] = [];
  return {
    kind: 'log',
    async trigger(page) {
      const summary = truncate(page.summary, PAGERDUTY_SUMMARY_MAX);
      pages.push({ action: 'trigger', dedup_key: page.dedupKey, page: { ...page, summary } });
      log.warn({ dedup_key: page.dedupKey, severity: page.severity, source: page.source, summary }, 'NOT PAGED: PagerDuty is not configured (PAGERDUTY_ROUTING_KEY unset); this page is logged only and reaches nobody');
      return { dedup_key: page.dedupKey, status: 'logged' };
    },
    async resolve(dedupKey) {
      pages.push({ action: 'resolve', dedup_key: dedupKey });
      log.info({ dedup_key: dedupKey }, 'page resolved (PagerDuty not configured; logged only)');
    },
    pages: () => pages.map((p) => ({ ...p })),
  };
}
