import type { Logger } from 'pino';
import { ExecutionError } from './gateway.js';

/**
 * One HTTP request with a per-attempt timeout and bounded retries (exponential backoff with full
 * jitter), shared by the admin-api client and PagerDuty. The request is rebuilt per attempt with
 * the same headers, so an Idempotency-Key is identical on every attempt.
 */

export interface RetryPolicy {
  /** Total attempts, the first included (≥ 1). */
  attempts: number;
  timeoutMs: number;
  /** Base delay of the backoff; attempt n waits a random time in [0, base · 2^n]. */
  backoffMs: number;
  /** Longest wait between attempts, also the cap on a Retry-After. */
  maxBackoffMs: number;
}

export interface RetryRequest {
  /** Names the call in errors and logs ("admin-api PATCH /v1/teams/t/rate-limit"); never a secret. */
  label: string;
  url: string;
  init: { method: string; headers: Record<string, string>; body?: string };
  /** Statuses worth another attempt (5xx always; PagerDuty adds 429). */
  retryStatus: (status: number) => boolean;
  /** Strings scrubbed from any message before it is thrown or logged (tokens, routing keys). */
  secrets: (string | undefined)[];
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, timeoutMs: 5_000, backoffMs: 200, maxBackoffMs: 5_000 };

export function redact(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length > 0) out = out.split(s).join('[redacted]');
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function backoff(policy: RetryPolicy, attempt: number, retryAfter: string | null): number {
  const jittered = Math.random() * Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** attempt);
  const hinted = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) * 1000 : 0;
  return Math.min(policy.maxBackoffMs, Math.max(jittered, hinted));
}

function describeFailure(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `timed out after ${timeoutMs} ms`;
  const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `network error (${e instanceof Error ? e.message : String(e)}${cause})`;
}

/**
 * Returns the first response whose status is not retryable, or the last one when attempts run out.
 * Throws a retryable ExecutionError when the last attempt failed at the network or timed out.
 */
export async function fetchWithRetry(
  doFetch: typeof fetch,
  req: RetryRequest,
  policy: RetryPolicy,
  logger: Logger,
): Promise<Response> {
  const attempts = Math.max(1, Math.floor(policy.attempts));
  for (let attempt = 0; ; attempt++) {
    const last = attempt + 1 >= attempts;
    let problem: string;
    let retryAfter: string | null = null;
    try {
      const res = await doFetch(req.url, { ...req.init, signal: AbortSignal.timeout(policy.timeoutMs) });
      if (!req.retryStatus(res.status) || last) return res;
      retryAfter = res.headers.get('retry-after');
      await res.text().catch(() => ''); // drain, so the connection is reused
      problem = `answered ${res.status}`;
    } catch (e) {
      const message = redact(describeFailure(e, policy.timeoutMs), req.secrets);
      if (last) {
        throw new ExecutionError(`${req.label} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${message}`, true, undefined);
      }
      problem = message;
    }
    const wait = backoff(policy, attempt, retryAfter);
    logger.warn({ call: req.label, attempt: attempt + 1, of: attempts, wait_ms: Math.round(wait), problem }, 'retrying HTTP call');
    await sleep(wait);
  }
}

/** Reads a response body as JSON, or undefined when it is empty or not JSON. */
export async function readJson(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A short, secret-free description of an error body for messages ("message: …"). */
export function errorDetail(body: unknown, secrets: (string | undefined)[]): string {
  if (body === undefined || body === null) return '';
  let text: string;
  if (typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    const parts = [b.message, b.error, b.status, Array.isArray(b.errors) ? b.errors.join('; ') : undefined].filter(
      (v): v is string => typeof v === 'string' && v.length > 0,
    );
    text = parts.length > 0 ? parts.join(': ') : JSON.stringify(body);
  } else {
    text = String(body);
  }
  const clean = redact(text, secrets).replace(/\s+/g, ' ').trim();
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}
