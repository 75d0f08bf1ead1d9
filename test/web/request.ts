import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/logger.js';

/** A raw HTTP call that may pick its source address (127.0.0.x) and any Host header; fetch can do neither. */
export interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

export function request(
  base: string,
  method: string,
  path: string,
  opts: { from?: string; headers?: Record<string, string>; form?: Record<string, string>; json?: unknown } = {},
): Promise<Reply> {
  const u = new URL(base);
  const body = opts.form ? new URLSearchParams(opts.form).toString() : opts.json !== undefined ? JSON.stringify(opts.json) : undefined;
  const type = opts.form ? 'application/x-www-form-urlencoded' : 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        ...(opts.from ? { localAddress: opts.from } : {}),
        headers: { ...(body ? { 'content-type': type, 'content-length': String(Buffer.byteLength(body)) } : {}), ...opts.headers },
      },
      (res) => {
        let b = '';
        res.on('data', (c: Buffer) => (b += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The production logger (redaction on) writing JSON lines into memory. */
export function capturingLogger(): { logger: Logger; text: () => string } {
  let out = '';
  const destination = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  return { logger: createLogger({ level: 'info', pretty: false, destination }), text: () => out };
}

/** The `name=value` pairs a reply sets, as a Cookie header. */
export function cookies(r: Reply): string {
  return (r.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).filter((p) => !p.endsWith('=')).join('; ');
}

export function hiddenField(body: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(body)?.[1];
}
