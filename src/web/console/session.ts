import { createHash } from 'node:crypto';
import { nonce, safeEqual, sign } from './http.js';

/**
 * Signed session cookie: base64url(JSON { u, e, n }) + "." + HMAC. `n` is the per-session nonce
 * the CSRF token is derived from, and the session's id: signing out writes its hash to
 * console_session_revocations, which every signed-in request checks, so a copied cookie stops
 * working at sign-out on every replica and across restarts (as long as the cookie itself would).
 */

export interface Session {
  user: string;
  expiresAt: number;
  nonce: string;
}

export const SESSION_COOKIE = 'sre_session';
export const SESSION_TTL_MS = 12 * 3_600_000;

export function encodeSession(secret: string, user: string, now: number): string {
  const payload = Buffer.from(JSON.stringify({ u: user, e: now + SESSION_TTL_MS, n: nonce() })).toString('base64url');
  return `${payload}.${sign(secret, 'session', payload)}`;
}

export function decodeSession(secret: string, value: string | undefined, now: number): Session | undefined {
  if (!value) return undefined;
  const dot = value.indexOf('.');
  if (dot <= 0) return undefined;
  const payload = value.slice(0, dot);
  if (!safeEqual(value.slice(dot + 1), sign(secret, 'session', payload))) return undefined;
  try {
    const s = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u?: unknown; e?: unknown; n?: unknown };
    if (typeof s.u !== 'string' || typeof s.e !== 'number' || typeof s.n !== 'string' || s.e <= now) return undefined;
    return { user: s.u, expiresAt: s.e, nonce: s.n };
  } catch {
    return undefined;
  }
}

export function csrfToken(secret: string, session: Session): string {
  return sign(secret, 'csrf', session.nonce);
}

/** Finds the operator whose token matches, comparing against every token in constant time. */
export function matchToken(tokens: readonly { name: string; token: string }[], presented: string): string | undefined {
  let found: string | undefined;
  for (const t of tokens) if (safeEqual(t.token, presented)) found ??= t.name;
  return found;
}

/** What the revocation list stores for a session: a hash of its id, so the table holds nothing a cookie could be rebuilt from. */
export function sessionIdHash(s: Pick<Session, 'nonce'>): string {
  return createHash('sha256').update(`sre-console-session\0${s.nonce}`).digest('hex');
}
