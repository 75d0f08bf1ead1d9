import type { Clock } from '../../../src/clock.js';
import { http, HttpResponse } from 'msw';
import type { setupServer } from 'msw/node';
import { pino } from 'pino';
import type { IncidentContext } from '../../../src/agent/reasoner.js';
import { PlaybookReasoner } from '../../../src/agent/playbook/index.js';
import { createClaudeReasoner, type ClaudeLimits } from '../../../src/agent/claude/reasoner.js';

export const BASE_URL = 'https://anthropic.test';
export const MODEL = 'claude-sonnet-4-6';
export const silent = pino({ level: 'silent' });

export interface SentRequest {
  body: Record<string, unknown> & { messages: { role: string; content: unknown }[]; tools: Record<string, unknown>[] };
  headers: Headers;
}

type Responder = () => Response | Promise<Response>;

/** msw in place of the Messages API: answers from a queue, records every request body. */
export function messagesApi(server: ReturnType<typeof setupServer>, responders: Responder[]): SentRequest[] {
  const sent: SentRequest[] = [];
  let i = 0;
  server.use(
    http.post(`${BASE_URL}/v1/messages`, async ({ request }) => {
      sent.push({ body: (await request.json()) as SentRequest['body'], headers: request.headers });
      const r = responders[Math.min(i++, responders.length - 1)];
      if (!r) throw new Error('no responder');
      return r();
    }),
  );
  return sent;
}

let seq = 0;
const usage = (input = 1800, output = 220) => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: seq === 1 ? 1400 : 0,
  cache_read_input_tokens: seq > 1 ? 1400 : 0,
  cache_creation: null,
  server_tool_use: null,
  service_tier: 'standard',
});

export type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; name: string; input: Record<string, unknown>; id?: string };

/** A realistic Messages API body. */
export function message(blocks: Block[], stop?: 'tool_use' | 'end_turn' | 'max_tokens' | 'refusal'): Response {
  seq++;
  const content = blocks.map((b, n) =>
    b.type === 'text' ? { type: 'text', text: b.text, citations: null } : { type: 'tool_use', id: b.id ?? `toolu_${seq}_${n}`, name: b.name, input: b.input },
  );
  return HttpResponse.json({
    id: `msg_${seq.toString().padStart(4, '0')}`,
    type: 'message',
    role: 'assistant',
    model: MODEL,
    content,
    stop_reason: stop ?? (blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: usage(),
  });
}

export const tool = (name: string, input: Record<string, unknown>): Block => ({ type: 'tool_use', name, input });
export const text = (t: string): Block => ({ type: 'text', text: t });

export function apiError(status: number, type: string, headers: Record<string, string> = {}): Response {
  return HttpResponse.json({ type: 'error', error: { type, message: `${type} (test)` } }, { status, headers });
}

export function reasoner(limits: ClaudeLimits = {}, waits: number[] = [], clock?: Clock) {
  return createClaudeReasoner({
    ...(clock ? { clock } : {}),
    apiKey: 'sk-ant-test-key',
    baseURL: BASE_URL,
    model: MODEL,
    logger: silent,
    fallback: new PlaybookReasoner(),
    limits: { retryBaseDelayMs: 1, maxRetries: 2, ...limits },
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
}

const NOW = new Date('2026-11-25T10:00:00Z'); // a Wednesday, 10:00 UTC: business hours

export function providerIncident(data: Record<string, unknown> = {}): IncidentContext {
  const latest = {
    provider: 'openai',
    error_rate: 0.42,
    requests: 12000,
    window_seconds: 60,
    model_group: 'gpt-4o',
    sample_errors: ['upstream 503 Service Unavailable', 'upstream connect timeout'],
    ...data,
  };
  return {
    incident: {
      id: 'inc_test_1',
      key: 'provider:openai',
      type: 'provider.unhealthy',
      subject: 'provider openai',
      status: 'open',
      firstSeen: new Date(NOW.getTime() - 120_000),
      lastSeen: NOW,
      eventCount: 3,
      latest,
      first: latest,
    },
    recentEvents: [{ id: 'evt_3', occurredAt: NOW, data: latest }],
    history: [],
    now: NOW,
  };
}

export function slaIncident(): IncidentContext {
  const latest = { sla_id: 'sla-checkout-p95', team: 't-checkout', metric: 'p95_latency_ms', target: 2000, observed: 3400, window_seconds: 300 };
  return {
    incident: {
      id: 'inc_test_sla',
      key: 'sla:sla-checkout-p95',
      type: 'sla.violation',
      subject: 'SLA sla-checkout-p95',
      status: 'open',
      firstSeen: NOW,
      lastSeen: NOW,
      eventCount: 1,
      latest,
      first: latest,
    },
    recentEvents: [{ id: 'evt_sla', occurredAt: NOW, data: latest }],
    history: [],
    now: NOW,
  };
}

/** The propose_* tool of a request, by name. */
export function toolOf(req: SentRequest, name: string): Record<string, unknown> & { input_schema: { properties: Record<string, { enum?: unknown[] }> } } {
  const t = req.body.tools.find((x) => x.name === name);
  if (!t) throw new Error(`no tool ${name} in request; had ${req.body.tools.map((x) => String(x.name)).join(', ')}`);
  return t as never;
}

/** All text the user turns of a request carried. */
export function userText(req: SentRequest): string {
  const out: string[] = [];
  for (const m of req.body.messages) {
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') out.push(m.content);
    else for (const b of m.content as { type: string; text?: string; content?: unknown }[]) out.push(b.text ?? (typeof b.content === 'string' ? b.content : ''));
  }
  return out.join('\n');
}
