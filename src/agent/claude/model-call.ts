import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import { failSpan, SpanKind, withSpan } from '../../telemetry/index.js';

/**
 * One Messages API call with our own bounded retries (the SDK's are off so that waits are
 * bounded by the run's wall time and visible in the trace): 408/409/429/5xx/529, timeouts,
 * connection errors and malformed bodies are retried; other 4xx are not.
 */

export interface RetryPolicy {
  maxRetries: number;
  timeoutMs: number;
  /** First backoff; doubles per retry, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The most a retry-after header may make us wait. */
  maxRetryAfterMs: number;
  /** The clock the deadline, the attempt timeout and retry-after dates are on. */
  clock: Clock;
  /** How a retry waits: the clock's sleep, or a test's recorder. */
  sleep: (ms: number) => Promise<void>;
}

export interface Attempt {
  status?: number;
  error: string;
  retryable: boolean;
  waited_ms?: number;
}

/**
 * Why a run fell back, in the few words an operator (and the audit) sorts by: the model hung or
 * the deadline passed, it was overloaded or erroring (5xx, 529), rate-limited (429), answered
 * something unreadable, or refused the request as ours (other 4xx).
 */
export type FailureCause = 'timeout' | '5xx' | '429' | 'malformed' | 'connection' | 'client_error';

export type CallOutcome = { ok: true; message: Message; attempts: Attempt[] } | { ok: false; reason: string; cause: FailureCause; attempts: Attempt[] };

/** The minimum a response must have for the loop to read it. */
const MessageShape = z.looseObject({
  id: z.string(),
  type: z.literal('message'),
  role: z.literal('assistant'),
  content: z.array(z.looseObject({ type: z.string() })),
  stop_reason: z.string().nullable(),
  usage: z.looseObject({ input_tokens: z.number(), output_tokens: z.number() }),
});

class MalformedResponse extends Error {
  override name = 'MalformedResponse';
}

const SDK_BACKSTOP_MS = 1_000;

/** The attempt's own timeout, kept on the clock. */
class AttemptTimeout extends Error {
  override name = 'AttemptTimeout';
}

interface Classified {
  status?: number;
  error: string;
  retryable: boolean;
  retryAfterMs?: number;
  cause: FailureCause;
}

function classify(err: unknown, nowMs: number): Classified {
  if (err instanceof APIConnectionTimeoutError || err instanceof AttemptTimeout) return { error: 'timeout', retryable: true, cause: 'timeout' };
  // Our own signal: the incident's reasoning deadline passed mid-call.
  if (err instanceof APIUserAbortError) return { error: 'timeout: the reasoning deadline passed during the call', retryable: false, cause: 'timeout' };
  if (err instanceof APIConnectionError) return { error: 'connection error', retryable: true, cause: 'connection' };
  if (err instanceof APIError) {
    const status = err.status;
    const type = typeof err.type === 'string' ? err.type : 'api_error';
    const retryable = status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
    const ra = retryAfterMs(err.headers, nowMs);
    const cause: FailureCause = status === 429 ? '429' : status === undefined || status >= 500 ? '5xx' : status === 408 ? 'timeout' : 'client_error';
    return { status, error: `${status ?? '?'} ${type}`, retryable, cause, ...(ra !== undefined ? { retryAfterMs: ra } : {}) };
  }
  // A body that is not JSON at all fails inside the SDK as a SyntaxError: as unreadable as a wrong shape.
  if (err instanceof MalformedResponse || err instanceof SyntaxError) return { error: `malformed response: ${err.message}`, retryable: true, cause: 'malformed' };
  return { error: err instanceof Error ? err.name : 'unknown error', retryable: false, cause: 'client_error' };
}

export function retryAfterMs(headers: Headers | undefined, nowMs: number): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const s = headers?.get('retry-after');
  if (!s) return undefined;
  if (Number.isFinite(Number(s))) return Math.max(0, Number(s) * 1000);
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * One attempt's signal: aborted by the run's signal, or by the clock when the attempt times out.
 * No attempt timer when it would fire at the deadline too: then the deadline's abort says why.
 */
function attemptSignal(clock: Clock, timeoutMs: number | undefined, run: AbortSignal | undefined) {
  const ac = new AbortController();
  let timedOut = false;
  const stop = () => ac.abort();
  run?.addEventListener('abort', stop, { once: true });
  if (run?.aborted) ac.abort();
  const timer =
    timeoutMs === undefined
      ? undefined
      : clock.after(timeoutMs, () => {
          timedOut = true;
          ac.abort();
        });
  return {
    signal: ac.signal,
    timedOut: () => timedOut && !run?.aborted,
    done: () => {
      timer?.cancel();
      run?.removeEventListener('abort', stop);
    },
  };
}

/** One HTTP attempt, bounded by the attempt timeout and the deadline; a wrong shape throws as malformed. */
async function attemptOnce(client: Anthropic, params: MessageCreateParamsNonStreaming, policy: RetryPolicy, remaining: number, run: AbortSignal | undefined): Promise<Message> {
  const ms = Math.max(1, Math.min(policy.timeoutMs, remaining));
  const a = attemptSignal(policy.clock, run && policy.timeoutMs >= remaining ? undefined : ms, run);
  try {
    // The clock's timers decide; the SDK's own (wall time) is only a backstop, so it runs a little longer.
    const raw: unknown = await client.messages.create(params, { timeout: ms + SDK_BACKSTOP_MS, maxRetries: 0, signal: a.signal });
    const shape = MessageShape.safeParse(raw);
    if (!shape.success) throw new MalformedResponse(shape.error.issues[0]?.message ?? 'unexpected shape');
    return raw as Message;
  } catch (err) {
    throw a.timedOut() ? new AttemptTimeout() : err;
  } finally {
    a.done();
  }
}

/** One model call: the request, its retry policy, and the deadline (on the policy's clock) it must answer by. */
export interface ModelCall {
  client: Anthropic;
  params: MessageCreateParamsNonStreaming;
  policy: RetryPolicy;
  deadline: number;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * One model call as a GenAI client span (OpenTelemetry's gen_ai semantic conventions): the model
 * asked for, the tokens used, the finish reason; each failed attempt is an event, and a call that
 * gave up carries its cause as `error.type`.
 */
export function callModel(call: ModelCall): Promise<CallOutcome> {
  const { params } = call;
  const attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.system': 'anthropic', 'gen_ai.request.model': params.model, 'gen_ai.request.max_tokens': params.max_tokens };
  return withSpan(`chat ${params.model}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const out = await callModelUntraced(call);
    for (const a of out.attempts) span.addEvent('gen_ai.attempt.failed', { 'error.type': a.error, ...(a.status !== undefined ? { 'http.response.status_code': a.status } : {}), retryable: a.retryable, ...(a.waited_ms !== undefined ? { 'sre.retry.wait_ms': a.waited_ms } : {}) });
    if (out.ok) {
      const m = out.message;
      span.setAttributes({
        'gen_ai.response.id': m.id,
        'gen_ai.response.model': m.model,
        'gen_ai.usage.input_tokens': m.usage.input_tokens,
        'gen_ai.usage.output_tokens': m.usage.output_tokens,
        ...(m.stop_reason ? { 'gen_ai.response.finish_reasons': [m.stop_reason] } : {}),
      });
    } else {
      span.setAttribute('error.type', out.cause);
      failSpan(span, new Error(out.reason));
    }
    return out;
  });
}

async function callModelUntraced({ client, params, policy, deadline, logger, signal }: ModelCall): Promise<CallOutcome> {
  const attempts: Attempt[] = [];
  let last: FailureCause = 'timeout';
  for (let n = 0; ; n++) {
    const remaining = deadline - policy.clock.nowMs();
    if (remaining <= 0 || signal?.aborted) {
      const after = attempts.at(-1)?.error;
      return { ok: false, reason: `the reasoning deadline passed before the model answered${after ? ` (last attempt: ${after})` : ''}`, cause: attempts.length > 0 ? last : 'timeout', attempts };
    }
    try {
      const message = await attemptOnce(client, params, policy, remaining, signal);
      return { ok: true, message, attempts };
    } catch (err) {
      const c = classify(err, policy.clock.nowMs());
      const attempt: Attempt = { error: c.error, retryable: c.retryable, ...(c.status !== undefined ? { status: c.status } : {}) };
      attempts.push(attempt);
      last = c.cause;
      if (!c.retryable || n >= policy.maxRetries) {
        logger.warn({ attempts: attempts.length, error: c.error }, 'model call failed');
        return { ok: false, reason: `model call failed after ${attempts.length} attempt(s): ${c.error}`, cause: c.cause, attempts };
      }
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** n) * (1 - Math.random() * 0.25);
      const wait = Math.round(c.retryAfterMs !== undefined ? Math.min(c.retryAfterMs, policy.maxRetryAfterMs) : backoff);
      if (policy.clock.nowMs() + wait >= deadline) {
        return { ok: false, reason: `model call failed (${c.error}); waiting ${wait} ms would pass the reasoning deadline`, cause: c.cause, attempts };
      }
      attempt.waited_ms = wait;
      logger.info({ error: c.error, wait_ms: wait, attempt: n + 1 }, 'model call retrying');
      await policy.sleep(wait);
    }
  }
}
