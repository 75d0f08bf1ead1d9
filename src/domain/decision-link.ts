import { createHmac } from 'node:crypto';

/**
 * Email decision links. A token is 32 random bytes (base64url); the database keeps only
 * HMAC-SHA256(linkSecret, token), so neither a leaked table nor a guessed id opens a link.
 */

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function isWellFormedToken(token: string): boolean {
  return TOKEN.test(token);
}

export function hashToken(linkSecret: string, token: string): string {
  return createHmac('sha256', linkSecret).update(`decision-link:${token}`).digest('hex');
}
