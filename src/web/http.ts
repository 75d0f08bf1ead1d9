import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { httpStatusOf, isDomainError } from '../domain/errors.js';

/** Small helpers for the one node:http server: bodies with a size cap, JSON answers, bearer checks. */

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly body?: Record<string, unknown>, readonly headers?: Record<string, string>) {
    super(message);
  }
}

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    throw new HttpError(413, `body too large: ${declared} bytes (limit ${limitBytes})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) {
      req.resume();
      throw new HttpError(413, `body too large (limit ${limitBytes} bytes)`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison of a presented secret against the configured ones. */
export function matchSecret(presented: string | undefined, candidates: readonly string[]): number {
  if (!presented) return -1;
  const p = digest(presented);
  let found = -1;
  candidates.forEach((c, i) => {
    if (timingSafeEqual(p, digest(c)) && found < 0) found = i;
  });
  return found;
}

export function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S.*)$/i.exec(h.trim());
  return m?.[1]?.trim();
}


/** Users see a domain error's message; anything else is logged and answered with a reference id. */
export function sendError(res: ServerResponse, e: unknown, logger: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (e instanceof HttpError) return sendJson(res, e.status, { error: e.message, ...(e.body ?? {}) }, e.headers);
  if (isDomainError(e)) return sendJson(res, httpStatusOf(e), { error: e.message, code: e.code, ...(e.details ?? {}) });
  const ref = randomUUID();
  logger.error({ err: e, ref }, 'request failed');
  sendJson(res, 500, { error: 'Sorry, something went wrong on our side.', ref });
}
