import { PermanentDeliveryError, RetryableDeliveryError } from '../adapter.js';

/** Errors that a later attempt can fix; every other Slack error is about our request or setup. */
const TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'team_added_to_org', 'rate_limited']);

/** Maps a Web API failure onto the outbox's retry vocabulary; 429 keeps Slack's Retry-After. */
export function classifySlackError(e: unknown): Error {
  if (e instanceof RetryableDeliveryError || e instanceof PermanentDeliveryError) return e;
  const err = e as { code?: string; retryAfter?: number; statusCode?: number; data?: { error?: string }; message?: string };
  switch (err.code) {
    case 'slack_webapi_rate_limited_error':
      return new RetryableDeliveryError('slack rate limited', Math.max(1, err.retryAfter ?? 1) * 1000, { cause: e });
    case 'slack_webapi_platform_error': {
      const code = err.data?.error ?? 'unknown_error';
      return TRANSIENT.has(code) ? new RetryableDeliveryError(`slack: ${code}`, undefined, { cause: e }) : new PermanentDeliveryError(`slack: ${code}`, { cause: e });
    }
    case 'slack_webapi_http_error':
      return (err.statusCode ?? 500) >= 500 || err.statusCode === 408
        ? new RetryableDeliveryError(`slack http ${err.statusCode}`, undefined, { cause: e })
        : new PermanentDeliveryError(`slack http ${err.statusCode}`, { cause: e });
    case 'slack_webapi_request_error':
      return new RetryableDeliveryError('slack unreachable', undefined, { cause: e });
    default:
      return new RetryableDeliveryError(`slack delivery failed: ${err.message ?? String(e)}`.slice(0, 300), undefined, { cause: e });
  }
}
