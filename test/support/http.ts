import { request as httpRequest, type IncomingMessage } from 'node:http';

/**
 * The one HTTP client of the tests. node:http rather than fetch: it may pick its source address
 * (127.0.0.x, for per-address limits) and send any Host header, which fetch can do neither of.
 */
export interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  /** The body as text. */
  body: string;
}

export interface RequestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** The source address to send from (127.0.0.x). */
  from?: string;
  headers?: Record<string, string>;
  form?: Record<string, string>;
  json?: unknown;
  /** A body sent as it is, typed as JSON (for malformed bodies). */
  raw?: string;
}

function bodyOf(opts: RequestOptions): { body?: string; type?: string } {
  if (opts.raw !== undefined) return { body: opts.raw, type: 'application/json' };
  if (opts.form) return { body: new URLSearchParams(opts.form).toString(), type: 'application/x-www-form-urlencoded' };
  if (opts.json !== undefined) return { body: JSON.stringify(opts.json), type: 'application/json' };
  return {};
}

export function request(base: string, method: string, path: string, opts: RequestOptions = {}): Promise<Reply> {
  const u = new URL(base);
  const { body, type } = bodyOf(opts);
  const headers = {
    ...(body !== undefined ? { 'content-type': type!, 'content-length': String(Buffer.byteLength(body)) } : {}),
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    ...opts.headers,
  };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, headers, ...(opts.from ? { localAddress: opts.from } : {}) }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The body parsed as JSON, or the text where it is not JSON. */
function parsed(r: Reply): { status: number; body: any } {
  try {
    return { status: r.status, body: JSON.parse(r.body) };
  } catch {
    return { status: r.status, body: r.body };
  }
}

export async function get(base: string, path: string, token?: string): Promise<{ status: number; body: any }> {
  return parsed(await request(base, 'GET', path, token ? { token } : {}));
}

export async function post(base: string, path: string, body: unknown, token?: string, raw?: string): Promise<{ status: number; body: any }> {
  return parsed(await request(base, 'POST', path, { json: body, ...(token ? { token } : {}), ...(raw !== undefined ? { raw } : {}) }));
}

/** `request` to a server on a loopback port. */
export const call = (port: number, method: string, path: string, opts: RequestOptions = {}) => request(`http://127.0.0.1:${port}`, method, path, opts);
