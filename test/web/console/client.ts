import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Reply as Answer } from '../../support/http.js';

/** A bare node:http server around a handler, and the tests' one HTTP client to call it. */

export type { Reply as Answer } from '../../support/http.js';

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

/** The tests' one HTTP client (test/support/http.ts), to a loopback port. */
export { call } from '../../support/http.js';

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
