import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';

/**
 * Slows guessing: an address with `limit` wrong credentials inside `windowMs` is answered 429 on
 * every credential it presents until the oldest of those failures leaves the window. Keyed by the
 * address alone, so a right token from another address is never held up.
 */

export type AuthSurface = 'console' | 'api' | 'ingest';

export interface AuthBrake {
  /** The client address a request's failures count against (see trusted proxies). */
  address(req: IncomingMessage): string;
  /** Seconds this address must wait before its credentials are checked again; 0 when it may try now. */
  retryAfter(address: string): number;
  /** Records one wrong credential (never the credential itself). */
  fail(address: string, surface: AuthSurface): void;
  /** Counts a request answered 429 by the caller. */
  throttled(surface: AuthSurface): void;
}

export interface AuthBrakeOptions {
  now: () => number;
  logger: Logger;
  metrics?: Pick<Metrics, 'authFailures'>;
  limit?: number;
  windowMs?: number;
  /** Bound on the addresses remembered, so a spray from many addresses cannot grow memory. */
  maxAddresses?: number;
  /** Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed (SRE_TRUSTED_PROXIES). */
  trustedProxies?: readonly string[];
}

export const AUTH_FAILURE_LIMIT = 10;
export const AUTH_FAILURE_WINDOW_MS = 60_000;

export function createAuthBrake(opts: AuthBrakeOptions): AuthBrake {
  const limit = opts.limit ?? AUTH_FAILURE_LIMIT;
  const windowMs = opts.windowMs ?? AUTH_FAILURE_WINDOW_MS;
  const maxAddresses = opts.maxAddresses ?? 10_000;
  const failures = new Map<string, number[]>();
  const trusted = trustedList(opts.trustedProxies ?? []);

  function recent(address: string, now: number): number[] {
    const list = (failures.get(address) ?? []).filter((t) => t > now - windowMs);
    if (list.length === 0) failures.delete(address);
    else failures.set(address, list);
    return list;
  }

  function forget(now: number): void {
    for (const [a, list] of failures) if ((list.at(-1) ?? 0) <= now - windowMs) failures.delete(a);
    // Still full: drop the addresses seen longest ago (Map keeps insertion order).
    for (const a of failures.keys()) {
      if (failures.size < maxAddresses) break;
      failures.delete(a);
    }
  }

  function wait(list: number[], now: number): number {
    if (list.length < limit) return 0;
    const oldest = list[list.length - limit]!;
    return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
  }

  return {
    address: (req) => clientAddress(req, trusted),
    retryAfter(address) {
      const now = opts.now();
      return wait(recent(address, now), now);
    },
    fail(address, surface) {
      const now = opts.now();
      if (!failures.has(address) && failures.size >= maxAddresses) forget(now);
      const list = [...recent(address, now), now].slice(-limit);
      failures.set(address, list);
      opts.metrics?.authFailures.inc({ surface, outcome: 'refused' });
      const retry = wait(list, now);
      if (retry > 0) opts.logger.warn({ address, surface, failures: list.length, window_s: windowMs / 1000, retry_after_s: retry }, 'repeated authentication failures from one address: slowed down');
    },
    throttled(surface) {
      opts.metrics?.authFailures.inc({ surface, outcome: 'throttled' });
    },
  };
}

function normal(a: string): string {
  const t = a.trim();
  return t.startsWith('::ffff:') && isIP(t.slice(7)) === 4 ? t.slice(7) : t;
}

/** Parses SRE_TRUSTED_PROXIES entries (already validated by config): `10.0.0.7`, `10.0.0.0/8`, `fd00::/8`. */
export function trustedList(entries: readonly string[]): BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const e of entries) {
    const [ip, bits] = e.split('/');
    const type = isIP(ip ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip!, type);
    else list.addSubnet(ip!, Number(bits), type);
  }
  return list;
}

function isTrusted(list: BlockList, a: string): boolean {
  const v = isIP(a);
  return v !== 0 && list.check(a, v === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The peer address of a request (IPv4 clients of a dual-stack socket come as ::ffff:a.b.c.d).
 * Through trusted proxies, the rightmost X-Forwarded-For hop that is not one of them: hops to its
 * left are whatever the client chose to send.
 */
export function clientAddress(req: IncomingMessage, trusted?: BlockList): string {
  let a = normal(req.socket.remoteAddress ?? 'unknown');
  if (!trusted || !isTrusted(trusted, a)) return a;
  const forwarded = String(req.headers['x-forwarded-for'] ?? '').split(',').map(normal).filter(Boolean);
  while (forwarded.length > 0 && isTrusted(trusted, a)) a = forwarded.pop()!;
  return a;
}
