import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, asc, eq } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import type { setupServer } from 'msw/node';
import pino from 'pino';
import { createLogPager } from '../../src/actions/pagerduty.js';
import { createSimulatedGateway, defaultSimulatedState } from '../../src/actions/simulated.js';
import { PlaybookReasoner } from '../../src/agent/playbook/index.js';
import { schema } from '../../src/db/client.js';
import { parseEvent } from '../../src/domain/events.js';
import { ingestEvents } from '../../src/ingest/ingest.js';
import type { ChannelAdapter } from '../../src/notify/adapter.js';
import { createSlackAdapter } from '../../src/notify/slack/index.js';
import { propose } from '../../src/proposals/propose.js';
import type { ProposalView, ServiceDeps } from '../../src/proposals/types.js';
import { createSlackApp, type SlackApp } from '../../src/slack/app.js';
import { signSlackRequest } from '../../src/slack/verify.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { workdayClock, type TestClock } from '../support/clock.js';

export const API = 'https://slack.test/api/';
export const HOOKS = 'https://hooks.slack.com/';
export const SECRET = 'test-signing-secret-0123456789';
export const TEAM = 'T0HOME';
export const CHANNEL = 'C0INCIDENT';
export const APPROVER = 'U0APPROVER';
export const GROUP = 'S0ONCALL';
export const GROUPIE = 'U0GROUPIE';
export const STRANGER = 'U0STRANGER';
export const BOT_USER = 'U0SREBOT';
export const BASE_URL = 'http://localhost:8080';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
}

export interface SlackMock {
  calls: SlackCall[];
  /** Calls answered by a queued failure. */
  failed: SlackCall[];
  hooks: { url: string; body: Record<string, unknown> }[];
  /** Calls of one method. */
  of(method: string): SlackCall[];
  /** Next answer for a method, before the default one (e.g. a 429). */
  failNext(method: string, respond: () => Response): void;
  /** The next call of a method does what it asks (a post lands in its thread), but its answer is lost: `respond` instead. */
  loseNextAnswer(method: string, respond: () => Response): void;
  groupLookupFails: boolean;
}

/** WebClient sends form fields; nested ones (blocks, view) are JSON strings. */
function decodeArgs(form: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of form.entries()) {
    if (/^[[{]/.test(v)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        /* plain text */
      }
    }
    out[k] = v;
  }
  return out;
}

/** The Slack Web API and response_urls, as msw handlers recording every call. */
export function mockSlack(server: ReturnType<typeof setupServer>): SlackMock {
  let ts = 1_790_000_000;
  const queued = new Map<string, (() => Response)[]>();
  const lost = new Map<string, (() => Response)[]>();
  // Thread replies as conversations.replies returns them (with their metadata).
  const threads = new Map<string, Record<string, unknown>[]>();
  const mock: SlackMock = {
    calls: [],
    failed: [],
    hooks: [],
    of: (m) => mock.calls.filter((c) => c.method === m),
    failNext(method, respond) {
      queued.set(method, [...(queued.get(method) ?? []), respond]);
    },
    loseNextAnswer(method, respond) {
      lost.set(method, [...(lost.get(method) ?? []), respond]);
    },
    groupLookupFails: false,
  };
  function answerOf(method: string, args: Record<string, unknown>): Response {
    switch (method) {
      case 'auth.test':
        return HttpResponse.json({ ok: true, team_id: TEAM, user_id: BOT_USER, bot_id: 'B0SREBOT', url: 'https://acme.slack.com/' });
      case 'chat.postMessage':
        ts += 1;
        if (typeof args.thread_ts === 'string') threads.set(args.thread_ts, [...(threads.get(args.thread_ts) ?? []), { ts: `${ts}.000100`, thread_ts: args.thread_ts, text: args.text, ...(args.metadata ? { metadata: args.metadata } : {}) }]);
        return HttpResponse.json({ ok: true, channel: args.channel, ts: `${ts}.000100`, message: { text: args.text } });
      case 'chat.update':
        return HttpResponse.json({ ok: true, channel: args.channel, ts: args.ts });
      case 'chat.postEphemeral':
        return HttpResponse.json({ ok: true, message_ts: `${ts}.000200` });
      case 'usergroups.users.list':
        if (mock.groupLookupFails) return HttpResponse.json({ ok: false, error: 'missing_scope' });
        return HttpResponse.json({ ok: true, users: args.usergroup === GROUP ? [GROUPIE] : [] });
      case 'conversations.replies':
        return HttpResponse.json({ ok: true, messages: [{ ts: args.ts }, ...(threads.get(String(args.ts)) ?? [])], has_more: false });
      case 'chat.delete':
        for (const [k, list] of threads) threads.set(k, list.filter((m) => m.ts !== args.ts));
        return HttpResponse.json({ ok: true });
      default:
        return HttpResponse.json({ ok: true });
    }
  }
  server.use(
    http.post(`${API}:method`, async ({ request, params }) => {
      const method = String(params.method);
      const text = await request.text();
      const args = request.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : decodeArgs(new URLSearchParams(text));
      const q = queued.get(method);
      if (q && q.length > 0) {
        mock.failed.push({ method, args });
        return q.shift()!();
      }
      mock.calls.push({ method, args });
      const answer = answerOf(method, args);
      const l = lost.get(method);
      return l && l.length > 0 ? l.shift()!() : answer;
    }),
    http.post(`${HOOKS}*`, async ({ request }) => {
      mock.hooks.push({ url: request.url, body: (await request.json()) as Record<string, unknown> });
      return HttpResponse.json({ ok: true });
    }),
  );
  return mock;
}

export interface Harness {
  db: TestDatabase;
  deps: ServiceDeps;
  clock: TestClock;
  slack: SlackApp;
  adapter: ChannelAdapter;
  base: string;
  gateway: ReturnType<typeof createSimulatedGateway>;
  close(): Promise<void>;
}

/** The Slack app on full service deps, served on a loopback port; on `opts.db` (the caller's to drop) or a fresh database of its own. */
export async function startHarness(opts: { approvers?: string[]; autoApprove?: boolean; db?: TestDatabase } = {}): Promise<Harness> {
  const db = opts.db ?? (await freshPostgres());
  const logger = pino({ level: 'silent' });
  // The gateway reports openai failing, as the incidents openIncident() opens say: the playbook reads both.
  const seed = defaultSimulatedState();
  Object.assign(seed.providers.openai!, { healthy: false, error_rate: 0.7 });
  const gateway = createSimulatedGateway({ seed });
  const clock = workdayClock();
  const deps: ServiceDeps = {
    db: db.db,
    gateway,
    pager: createLogPager(logger),
    reasoner: new PlaybookReasoner(),
    logger,
    channels: ['slack'],
    policy: { riskThreshold: 40, autoApprove: opts.autoApprove ?? false, timeZone: 'UTC', criticalTeams: [], mode: 'live', twoPersonScore: 75 },
    safety: { verifyWindowMs: 5 * 60_000, autoRevert: true, actionCooldownMs: 30 * 60_000, maxActionsPerHour: 10 },
    lifecycle: { escalateAfterMs: 15 * 60_000, proposalTtlMs: 24 * 3_600_000 },
    publicBaseUrl: BASE_URL,
    clock,
  };
  const slack = createSlackApp({ deps, botToken: 'xoxb-test-token', signingSecret: SECRET, apiUrl: API, incidentChannel: CHANNEL, approvers: opts.approvers ?? [APPROVER, GROUP], logger });
  const adapter = createSlackAdapter({ db: db.db, client: slack.client, channel: CHANNEL, publicBaseUrl: BASE_URL, logger, clock });
  const srv: Server = createServer((req, res) => {
    if (req.url === '/slack/events') void slack.handler!(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return {
    db,
    deps,
    clock,
    slack,
    adapter,
    base,
    gateway,
    async close() {
      await slack.stop();
      await new Promise((r) => srv.close(r));
      if (!opts.db) await db.dispose();
    },
  };
}

/** An incident from one event and its first proposal (a human decides: auto-approve off). */
export async function openIncident(h: Harness, data: Record<string, unknown> = {}): Promise<ProposalView> {
  const parsed = parseEvent({
    id: `evt_${Math.random().toString(36).slice(2)}`,
    type: 'provider.unhealthy',
    occurred_at: h.deps.clock.now().toISOString(),
    source: 'admin-api',
    data: { provider: 'openai', error_rate: 0.7, requests: 1200, window_seconds: 60, model_group: 'gpt-4o', ...data },
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const out = await ingestEvents(h.deps, [{ event: parsed.event, via: 'http' }]);
  const incidentId = out.incidentsOpened[0]!;
  const p = await propose(h.deps, { incidentId });
  if (!p) throw new Error('no proposal');
  return p;
}

/** Delivers every pending Slack outbox row in order through the adapter (the dispatcher's job, minus pacing). */
export async function deliverAll(h: Harness): Promise<void> {
  for (;;) {
    const rows = await h.db.db
      .select()
      .from(schema.outbox)
      .where(and(eq(schema.outbox.channel, 'slack'), eq(schema.outbox.status, 'pending')))
      .orderBy(asc(schema.outbox.id));
    if (rows.length === 0) return;
    for (const row of rows) {
      const outcome = await h.adapter.deliver({ ...row, channel: 'slack', kind: row.kind as never });
      await h.db.db.update(schema.outbox).set({ status: outcome.status, sentAt: new Date() }).where(eq(schema.outbox.id, row.id));
    }
  }
}

export type Signing = { secret?: string; ts?: number; tamper?: boolean; headers?: Record<string, string> };

/** POSTs a body to /slack/events signed as Slack would (or deliberately not). */
export async function postSigned(h: Harness, body: string, contentType: string, s: Signing = {}): Promise<{ status: number; text: string }> {
  const ts = s.ts ?? Math.floor(Date.now() / 1000);
  const signature = signSlackRequest(s.secret ?? SECRET, ts, body);
  const sent = s.tamper ? body.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x')) : body;
  const res = await fetch(`${h.base}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature, ...(s.headers ?? {}) },
    body: sent,
  });
  return { status: res.status, text: await res.text() };
}

export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = 'application/x-www-form-urlencoded';

/** A modal's submission (the reject and revert dialogs): one text input's value, signed as Slack sends it. */
export function submitView(h: Harness, v: { callbackId: string; title: string; privateMetadata: string; block: string; input: string; value: string }) {
  const submission = {
    type: 'view_submission',
    team: { id: TEAM, domain: 'acme' },
    user: { id: APPROVER, username: 'approver', name: 'approver', team_id: TEAM },
    api_app_id: 'A0SRE',
    token: 'legacy-verification-token',
    trigger_id: '1.2.3',
    view: {
      id: 'V0MODAL',
      team_id: TEAM,
      type: 'modal',
      callback_id: v.callbackId,
      private_metadata: v.privateMetadata,
      blocks: [],
      state: { values: { [v.block]: { [v.input]: { type: 'plain_text_input', value: v.value } } } },
      hash: 'x',
      title: { type: 'plain_text', text: v.title },
      app_id: 'A0SRE',
      bot_id: 'B0SREBOT',
    },
    response_urls: [],
  };
  return postSigned(h, form({ payload: JSON.stringify(submission) }), 'application/x-www-form-urlencoded');
}

export function slashCommand(h: Harness, text: string, user = APPROVER, s: Signing = {}) {
  return postSigned(
    h,
    form({
      token: 'legacy-verification-token',
      team_id: TEAM,
      team_domain: 'acme',
      channel_id: 'C0RANDOM',
      channel_name: 'random',
      user_id: user,
      user_name: user.toLowerCase(),
      command: '/sre',
      text,
      api_app_id: 'A0SRE',
      is_enterprise_install: 'false',
      response_url: `${HOOKS}commands/${TEAM}/1/abc`,
      trigger_id: '1.2.abc',
    }),
    FORM,
    s,
  );
}

export function buttonClick(h: Harness, actionId: string, p: ProposalView, who: { user?: string; team?: string; ephemeral?: boolean } = {}, s: Signing = {}) {
  const user = who.user ?? APPROVER;
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: who.team ?? TEAM },
    api_app_id: 'A0SRE',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: '1790000003.000100', channel_id: CHANNEL, is_ephemeral: who.ephemeral ?? false },
    trigger_id: '13345224609.738474920.8088930838d88f008e0',
    team: { id: who.team ?? TEAM, domain: 'acme' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: CHANNEL, name: 'incidents' },
    message: { type: 'message', ts: '1790000003.000100', thread_ts: p.incident.slack_ts ?? undefined, text: 'Proposal' },
    response_url: `${HOOKS}actions/${TEAM}/1/xyz`,
    actions: [{ action_id: actionId, block_id: `decide:${p.id}`, text: { type: 'plain_text', text: 'Approve' }, value: p.id, type: 'button', action_ts: '1790000004.000000' }],
  };
  return postSigned(h, form({ payload: JSON.stringify(payload) }), FORM, s);
}

export function eventCallback(h: Harness, event: Record<string, unknown>, s: Signing = {}, eventId = `Ev${Math.random().toString(36).slice(2, 10).toUpperCase()}`) {
  const body = {
    token: 'legacy-verification-token',
    team_id: TEAM,
    api_app_id: 'A0SRE',
    event: { team: TEAM, channel_type: 'channel', event_ts: event.ts, ...event },
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: TEAM, user_id: BOT_USER, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
  return postSigned(h, JSON.stringify(body), 'application/json', s);
}

/** The card edits among chat.update calls (the root has no header block; the card has one). */
export function cardUpdates(slack: SlackMock): SlackCall[] {
  return slack.of('chat.update').filter((c) => Array.isArray(c.args.blocks) && (c.args.blocks as { type?: string }[]).some((b) => b.type === 'header'));
}

/** The root edits: chat.update on the incident's root message (no header block). */
export function rootUpdates(slack: SlackMock): SlackCall[] {
  return slack.of('chat.update').filter((c) => !cardUpdates(slack).includes(c));
}
