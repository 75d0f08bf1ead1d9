import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';

/**
 * Slows guessing without locking anyone out. Failures are counted per surface (ingest, the JSON
 * API, console sign-in, email decision links) and per client address (IPv6 per /64, since one
 * host holds a whole /64): a surface+address with `limit` wrong credentials inside `windowMs`
 * has its further wrong ones answered 429 until the oldest leaves the window. A right credential
 * is always admitted, slowed bucket or not: nobody's wrong tokens lock out an operator (the kill
 * switch included) or the ingest token behind the same proxy. The secrets are long (32+
 * characters), so the brake's work is to make guessing loud and cheap to refuse, in bounded memory.
 */

export type AuthSurface = 'console' | 'api' | 'ingest' | 'decision_link';

export interface AuthBrake {
  /** The client address a request's failures count against (see trusted proxies), IPv6 as its /64. */
  address(req: IncomingMessage): string;
  /** Seconds this surface+address must wait before a wrong credential is answered 401 again; 0 when not slowed. */
  retryAfter(address: string, surface: AuthSurface): number;
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
  /** Bound on the buckets remembered, so a spray from many addresses cannot grow memory. */
  maxAddresses?: number;
  /** Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed (SRE_TRUSTED_PROXIES). */
  trustedProxies?: readonly string[];
}

export const AUTH_FAILURE_LIMIT = 10;
export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** At most this many "X-Forwarded-For from an untrusted peer" warnings a window, each peer once. */
const FORWARD_WARNINGS_PER_WINDOW = 10;

export function createAuthBrake(opts: AuthBrakeOptions): AuthBrake {
  const limit = opts.limit ?? AUTH_FAILURE_LIMIT;
  const windowMs = opts.windowMs ?? AUTH_FAILURE_WINDOW_MS;
  const maxAddresses = opts.maxAddresses ?? 10_000;
  const failures = new Map<string, number[]>();
  const trusted = trustedList(opts.trustedProxies ?? []);
  const warnUntrusted = untrustedForwardWarning(opts, trusted, windowMs, maxAddresses);
  const bucket = (address: string, surface: AuthSurface) => `${surface} ${address}`;

  function recent(key: string, now: number): number[] {
    const list = (failures.get(key) ?? []).filter((t) => t > now - windowMs);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  }

  function forget(now: number): void {
    for (const [a, list] of failures) if ((list.at(-1) ?? 0) <= now - windowMs) failures.delete(a);
    // Still full: drop the buckets seen longest ago (Map keeps insertion order).
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
    address(req) {
      warnUntrusted(req);
      return bucketAddress(clientAddress(req, trusted));
    },
    retryAfter(address, surface) {
      const now = opts.now();
      return wait(recent(bucket(address, surface), now), now);
    },
    fail(address, surface) {
      const now = opts.now();
      const key = bucket(address, surface);
      if (!failures.has(key) && failures.size >= maxAddresses) forget(now);
      const list = [...recent(key, now), now].slice(-limit);
      failures.set(key, list);
      opts.metrics?.authFailures.inc({ surface, outcome: 'refused' });
      const retry = wait(list, now);
      if (retry > 0) opts.logger.warn({ address, surface, failures: list.length, window_s: windowMs / 1000, retry_after_s: retry }, 'repeated authentication failures from one address: slowed down');
    },
    throttled(surface) {
      opts.metrics?.authFailures.inc({ surface, outcome: 'throttled' });
    },
  };
}

/**
 * X-Forwarded-For from a peer that is not a trusted proxy is ignored (a client may write anything
 * there), and everyone behind that peer shares its buckets: said once per peer, at most
 * FORWARD_WARNINGS_PER_WINDOW times a window, naming SRE_TRUSTED_PROXIES. The header's value is
 * never logged.
 */
function untrustedForwardWarning(opts: AuthBrakeOptions, trusted: BlockList | undefined, windowMs: number, maxPeers: number): (req: IncomingMessage) => void {
  const warned = new Set<string>();
  let windowStart = -Infinity;
  let inWindow = 0;
  return (req) => {
    if (req.headers['x-forwarded-for'] === undefined) return;
    const peer = normal(req.socket.remoteAddress ?? 'unknown');
    if (trusted && isTrusted(trusted, peer)) return;
    const key = bucketAddress(peer);
    if (warned.has(key)) return;
    const now = opts.now();
    if (now - windowStart >= windowMs) {
      windowStart = now;
      inWindow = 0;
    }
    if (inWindow >= FORWARD_WARNINGS_PER_WINDOW) return;
    inWindow++;
    if (warned.size >= maxPeers) warned.clear();
    warned.add(key);
    opts.logger.warn(
      { peer: key, trusted_proxies: opts.trustedProxies?.length ?? 0 },
      'X-Forwarded-For from a peer not in SRE_TRUSTED_PROXIES is ignored: failures count against the peer, shared by everyone behind it; list the proxy in SRE_TRUSTED_PROXIES',
    );
  };
}

/** The key an address's failures count under: IPv4 as is, IPv6 as its /64 (one host may hold all of it). */
export function bucketAddress(a: string): string {
  if (isIP(a) !== 6) return a;
  const bare = a.split('%')[0]!;
  const halves = bare.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const width = (g: string[]) => g.reduce((n, x) => n + (x.includes('.') ? 2 : 1), 0);
  const head = groups(halves[0]);
  const tail = halves.length > 1 ? groups(halves[1]) : [];
  const all = halves.length > 1 ? [...head, ...Array<string>(Math.max(0, 8 - width(head) - width(tail))).fill('0'), ...tail] : head;
  return `${all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
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
