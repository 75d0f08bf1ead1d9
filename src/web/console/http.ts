import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** Small HTTP helpers for the server-rendered pages: forms, cookies, CSRF, safe headers. */

export const FORM_LIMIT_BYTES = 16 * 1024;

export class BodyTooLarge extends Error {}

export async function readForm(req: IncomingMessage, limit = FORM_LIMIT_BYTES): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge('form too large');
    chunks.push(chunk);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) out[k] ??= v;
  return out;
}

export function parseCookies(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    if (!(k in out)) {
      try {
        out[k] = decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        // A cookie we did not write: ignore it.
      }
    }
  }
  return out;
}

export function cookie(name: string, value: string, opts: { path: string; secure: boolean; maxAgeS?: number }): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${opts.path}`, 'HttpOnly', 'SameSite=Strict'];
  if (opts.secure) parts.push('Secure');
  if (opts.maxAgeS !== undefined) parts.push(`Max-Age=${opts.maxAgeS}`);
  return parts.join('; ');
}

export function sign(secret: string, purpose: string, value: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${value}`).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function nonce(): string {
  return randomBytes(18).toString('base64url');
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

/** A POST must come from our own pages: when the browser names an origin, it must be PUBLIC_BASE_URL's. */
export function sameOrigin(headers: IncomingHttpHeaders, publicBaseUrl: string): boolean {
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return false;
  const origin = headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  const configured = new URL(publicBaseUrl);
  if (origin === configured.origin) return true;
  // localhost and 127.0.0.1 on the agent's own port are the agent itself, whichever one was typed.
  if (!isLoopbackHost(configured.host) || !URL.canParse(origin)) return false;
  const seen = new URL(origin);
  return isLoopbackHost(seen.host) && seen.port === configured.port && seen.protocol === configured.protocol;
}

function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

/** The origin a refused POST came from ("a cross-site request" when only Sec-Fetch-Site says so); undefined when sameOrigin holds. */
export function foreignOrigin(headers: IncomingHttpHeaders, publicBaseUrl: string): string | undefined {
  if (sameOrigin(headers, publicBaseUrl)) return undefined;
  const origin = headers.origin;
  return origin && origin !== 'null' ? origin.slice(0, 200) : `a ${String(headers['sec-fetch-site'])} request`;
}

/**
 * The console answers only to PUBLIC_BASE_URL's host, or to a loopback address (the agent on
 * one's own machine). Any other Host is how DNS rebinding would reach it from a web page.
 */
export function hostAllowed(headers: IncomingHttpHeaders, publicBaseUrl: string): boolean {
  const host = (headers.host ?? '').trim().toLowerCase();
  if (!host) return true;
  const configured = new URL(publicBaseUrl);
  return host === configured.host.toLowerCase() || (configured.port === '' && host === `${configured.hostname.toLowerCase()}:${configured.protocol === 'https:' ? 443 : 80}`) || isLoopbackHost(host);
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  // No script anywhere: injected markup could not run, and scanners have nothing to execute.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on our own form posts.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

export function sendHtml(res: ServerResponse, status: number, body: string, opts: { head?: boolean; headers?: Record<string, string | string[]> } = {}): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-length': String(buf.length), ...opts.headers });
  res.end(opts.head ? undefined : buf);
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', ...headers });
  res.end();
}
