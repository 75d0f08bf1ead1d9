import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface StubCall {
  method: string;
  at: number;
  body: string;
}

export interface Stub {
  url: string;
  calls: StubCall[];
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return `http://127.0.0.1:${port}`;
}

function closer(server: Server) {
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

/** A local Slack Web API: answers like Slack and records every call with its arrival time. */
export async function startSlackStub(onCall?: (call: StubCall) => void): Promise<Stub> {
  const calls: StubCall[] = [];
  let seq = 0;
  const server = createServer((req, res) => {
    void bodyOf(req).then((body) => {
      const method = (req.url ?? '').replace(/^\/(api\/)?/, '').split('?')[0] ?? '';
      const call = { method, at: performance.now(), body };
      calls.push(call);
      onCall?.(call);
      seq++;
      const answer =
        method === 'chat.postMessage'
          ? { ok: true, channel: 'C0BENCH', ts: `1790000000.${String(seq).padStart(6, '0')}` }
          : method === 'auth.test'
            ? { ok: true, team_id: 'T0BENCH', team: 'bench', user_id: 'U0BENCH', bot_id: 'B0BENCH' }
            : { ok: true };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  const url = await listen(server);
  return { url: `${url}/api/`, calls, close: closer(server) };
}

/** A local admin-api that accepts every write and records when each arrived. */
export async function startAdminApiStub(onWrite?: (call: StubCall) => void): Promise<Stub> {
  const calls: StubCall[] = [];
  const server = createServer((req, res) => {
    const at = performance.now();
    void bodyOf(req).then((body) => {
      const call = { method: `${req.method} ${req.url}`, at, body };
      calls.push(call);
      if (req.method !== 'GET') onWrite?.(call);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  const url = await listen(server);
  return { url, calls, close: closer(server) };
}
