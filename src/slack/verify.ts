import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a request's timestamp may be from our clock, either way (Slack's own bound is 5 min into the past). */
export const MAX_SKEW_SECONDS = 300;

export type Verification = { ok: true } | { ok: false; reason: string };

/**
 * Slack's v0 request signature over the raw bytes: HMAC-SHA256 of `v0:{ts}:{body}`. Refuses
 * stale and future timestamps alike, so a captured request cannot be replayed later.
 */
export function verifySlackSignature(input: {
  signingSecret: string;
  signature: string | undefined;
  timestamp: string | undefined;
  rawBody: Buffer;
  nowMs: number;
}): Verification {
  const { signature, timestamp } = input;
  if (!signature || !timestamp) return { ok: false, reason: 'missing signature headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed timestamp' };
  const skew = Math.abs(Math.floor(input.nowMs / 1000) - Number(timestamp));
  if (skew > MAX_SKEW_SECONDS) return { ok: false, reason: 'timestamp outside the 5-minute window' };
  const mac = createHmac('sha256', input.signingSecret);
  mac.update(`v0:${timestamp}:`);
  mac.update(input.rawBody);
  const expected = Buffer.from(`v0=${mac.digest('hex')}`, 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}

/** Signs a body as Slack does: for tests and local tools. */
export function signSlackRequest(signingSecret: string, timestamp: number, rawBody: string | Buffer): string {
  const mac = createHmac('sha256', signingSecret);
  mac.update(`v0:${timestamp}:`);
  mac.update(rawBody);
  return `v0=${mac.digest('hex')}`;
}
