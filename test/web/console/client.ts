import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A bare node:http server around a handler, and a client that may send any Host header (fetch may not). */

export interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

export async function serve(handler: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://internal');
    handler(req, res, url)
      .then((handled) => {
        if (!handled) {
          res.writeHead(404);
          res.end('not mine');
        }
      })
      .catch((e: unknown) => {
        res.writeHead(500);
        res.end(String(e));
      });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

export function call(port: number, method: string, path: string, opts: { headers?: Record<string, string>; form?: Record<string, string>; json?: unknown } = {}): Promise<Answer> {
  const body = opts.form ? new URLSearchParams(opts.form).toString() : opts.json !== undefined ? JSON.stringify(opts.json) : undefined;
  const type = opts.form ? 'application/x-www-form-urlencoded' : 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
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

/** The cookie pairs a response sets, as a Cookie header value. */
export function cookiesFrom(a: Answer, prior = ''): string {
  const set = a.headers['set-cookie'] ?? [];
  const jar = new Map(prior.split('; ').filter(Boolean).map((p) => [p.slice(0, p.indexOf('=')), p] as const));
  for (const c of set) {
    const pair = c.split(';')[0]!;
    jar.set(pair.slice(0, pair.indexOf('=')), pair);
  }
  return [...jar.values()].join('; ');
}

export function hidden(body: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(body)?.[1];
}
