import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';

export interface StubCall {
  method: string;
  at: number;
  body: string;
  /** The request's headers (the admin-api's: `traceparent` when tracing is on). */
  headers?: IncomingHttpHeaders;
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

/** A local admin-api that accepts every write, answers provider reads, and records when each call arrived. */
export async function startAdminApiStub(onWrite?: (call: StubCall) => void): Promise<Stub> {
  const calls: StubCall[] = [];
  const server = createServer((req, res) => {
    const at = performance.now();
    void bodyOf(req).then((body) => {
      const call = { method: `${req.method} ${req.url}`, at, body, headers: req.headers };
      calls.push(call);
      if (req.method !== 'GET') onWrite?.(call);
      // Reads (the re-check at decision time reads the provider again): the provider is still failing.
      const provider = req.method === 'GET' ? /^\/v1\/providers\/([^/?]+)$/.exec(req.url ?? '') : null;
      if (req.method === 'GET' && !provider) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'not found' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(provider ? { name: decodeURIComponent(provider[1]!), healthy: false, error_rate: 0.5, circuit_open_until: null } : { ok: true }));
    });
  });
  const url = await listen(server);
  return { url, calls, close: closer(server) };
}

export interface ModelStub extends Stub {
  /** The most Messages API calls that were being answered at the same time. */
  maxInFlight(): number;
}

interface ToolDef {
  name?: string;
  input_schema?: { properties?: Record<string, { enum?: unknown[] }> };
}
interface MessageTurn {
  role?: string;
  content?: unknown;
}

const hasToolResult = (m: MessageTurn | undefined) => Array.isArray(m?.content) && m.content.some((b: { type?: unknown }) => b?.type === 'tool_result');

/**
 * A local Anthropic Messages API (`POST /v1/messages`, the real wire format with tool use) that
 * answers every call after `latencyMs`: first an investigation turn (`get_provider`), then, once
 * that tool's result is in the conversation, `propose_circuit_break_provider` for the incident's
 * provider (the enum the agent built for this call). Two model calls per incident.
 */
export async function startModelStub(latencyMs: number): Promise<ModelStub> {
  const calls: StubCall[] = [];
  let seq = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const at = performance.now();
    void bodyOf(req).then(async (body) => {
      calls.push({ method: `${req.method} ${req.url}`, at, body });
      await new Promise((r) => setTimeout(r, latencyMs));
      const n = ++seq;
      const answer = (status: number, json: unknown) => {
        inFlight--;
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_bench_${n}` });
        res.end(JSON.stringify(json));
      };
      let params: { model?: string; tools?: ToolDef[]; messages?: MessageTurn[] };
      try {
        params = JSON.parse(body) as typeof params;
      } catch {
        answer(400, { type: 'error', error: { type: 'invalid_request_error', message: 'body is not JSON' } });
        return;
      }
      const tools = params.tools ?? [];
      const enumOf = (tool: string, field: string) => tools.find((t) => t.name === tool)?.input_schema?.properties?.[field]?.enum?.[0];
      const provider = enumOf('propose_circuit_break_provider', 'provider');
      const investigated = hasToolResult(params.messages?.[params.messages.length - 1]);
      const use =
        !investigated && enumOf('get_provider', 'name') !== undefined
          ? { name: 'get_provider', input: { name: enumOf('get_provider', 'name') } }
          : provider !== undefined
            ? {
                name: 'propose_circuit_break_provider',
                input: { provider, duration_seconds: 120, reason: 'error rate above 40 %', rationale: 'The provider fails four requests in ten; a short break routes around it and restores itself.' },
              }
            : { name: 'propose_page_oncall', input: { severity: 'error', summary: 'needs a human', reason: 'no safe automated change', rationale: 'Nothing in the library fits.' } };
      answer(200, {
        id: `msg_bench_${n}`,
        type: 'message',
        role: 'assistant',
        model: params.model ?? 'claude-sonnet-4-6',
        content: [{ type: 'tool_use', id: `toolu_bench_${n}`, name: use.name, input: use.input }],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: { input_tokens: 1200, output_tokens: 80, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      });
    });
  });
  const url = await listen(server);
  return { url, calls, maxInFlight: () => maxInFlight, close: closer(server) };
}
