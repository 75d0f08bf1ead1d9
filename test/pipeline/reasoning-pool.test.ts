import { eq, sql } from 'drizzle-orm';
import { delay, http, HttpResponse } from 'msw';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryRows, schema } from '../../src/db/client.js';
import { parseEvent } from '../../src/domain/events.js';
import { ingestEvents } from '../../src/ingest/ingest.js';
import { createPool } from '../../src/jobs/index.js';
import { noteLateReasoning } from '../../src/proposals/index.js';
import { testCatalog, testRunner } from '../support/jobs.js';
import { BASE_URL, message, reasoner, tool } from '../agent/claude/support.js';
import { makeDeps, seedPending } from '../notify/fixtures.js';
import { INGEST_TOKEN, get, post, startAgent, unhealthy, type RunningAgent } from '../support/agent.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { useMsw } from '../support/msw.js';
import { eventually } from '../support/eventually.js';

const server = useMsw();
let db: TestDatabase;
let running: RunningAgent | undefined;
beforeEach(async () => {
  db = await freshPostgres();
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await db.dispose();
});

const PROVIDERS = ['openai', 'anthropic', 'mistral', 'vertex', 'bedrock', 'cohere', 'groq'];
const claude = (env: Record<string, string>) => ({ ANTHROPIC_API_KEY: 'sk-ant-test-key', ANTHROPIC_BASE_URL: BASE_URL, ...env });

interface ModelStandIn {
  /** Requests being answered right now, and the most there ever were. */
  inFlight: number;
  maxInFlight: number;
  calls: number;
}

/** The Messages API stand-in: each request waits `answer` and then answers (or never, or badly). */
function model(answer: (provider: string) => Promise<Response>): ModelStandIn {
  const s: ModelStandIn = { inFlight: 0, maxInFlight: 0, calls: 0 };
  server.use(
    http.post(`${BASE_URL}/v1/messages`, async ({ request }) => {
      const body = (await request.json()) as { tools: { name: string; input_schema: { properties: { provider?: { enum?: string[] } } } }[] };
      const provider = body.tools.find((t) => t.name === 'propose_circuit_break_provider')?.input_schema.properties.provider?.enum?.[0] ?? 'openai';
      s.calls++;
      s.inFlight++;
      s.maxInFlight = Math.max(s.maxInFlight, s.inFlight);
      try {
        return await answer(provider);
      } finally {
        s.inFlight--;
      }
    }),
  );
  return s;
}

const circuitBreak = (provider: string) =>
  message([tool('propose_circuit_break_provider', { provider, duration_seconds: 60, reason: 'failing', rationale: `${provider} is failing` })]);

async function openIncidents(a: RunningAgent, providers: readonly string[]): Promise<void> {
  const r = await post(a.base, '/v1/events', providers.map((p) => unhealthy(p)), INGEST_TOKEN);
  expect(r.status).toBe(202);
}

interface Row extends Record<string, unknown> {
  incident_id: string;
  reasoner: string;
  fallback_reason: string | null;
}

async function proposals(): Promise<Row[]> {
  return queryRows<Row>(db.db, sql`select p.incident_id, p.reasoner, p.fallback_reason from proposals p order by p.created_at`);
}

const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000) => eventually(probe, { what, timeoutMs, everyMs: 50 });

const allProposed = (n: number) => async () => {
  const rows = await proposals();
  return rows.length >= n ? rows : undefined;
};

describe('the reasoning pool', () => {
  it('reasons about many incidents at once with a slow model, never more than SRE_REASONING_CONCURRENCY', async () => {
    const m = model(async (p) => {
      await delay(600);
      return circuitBreak(p);
    });
    running = await startAgent(db, claude({ SRE_REASONING_CONCURRENCY: '3', SRE_REASONING_DEADLINE: '30s' }), { loopMs: 50 });
    await openIncidents(running, PROVIDERS);
    const rows = await until('7 proposals', allProposed(PROVIDERS.length));

    expect(m.maxInFlight).toBe(3);
    expect(rows.map((r) => r.reasoner)).toEqual(PROVIDERS.map(() => 'claude'));
    // One proposal per incident: nothing lost, nothing doubled.
    expect(new Set(rows.map((r) => r.incident_id)).size).toBe(PROVIDERS.length);
    expect(m.calls).toBe(PROVIDERS.length);

    // A slot frees just after its proposal commits.
    const base = running.base;
    const metrics = await until('every slot free', async () => {
      const text = (await get(base, '/metrics')).body as string;
      return /^sre_reasoning_in_flight 0$/m.test(text) ? text : undefined;
    });
    expect(metrics).toMatch(new RegExp(`^sre_incident_to_proposal_seconds_count ${PROVIDERS.length}$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^sre_model_call_duration_seconds_count\\{outcome="ok"\\} ${PROVIDERS.length}$`, 'm'));
  });

  it('expires and escalates on time while every reasoning slot is held by a hanging model', async () => {
    model(async () => {
      await delay('infinite');
      return HttpResponse.json({});
    });
    running = await startAgent(db, claude({ SRE_REASONING_CONCURRENCY: '2', SRE_REASONING_DEADLINE: '10s' }), { loopMs: 50 });
    const deps = running.agent.deps;
    const toExpire = await seedPending(db.db, { provider: 'together' });
    const toEscalate = await seedPending(db.db, { provider: 'fireworks' });
    await openIncidents(running, ['openai', 'anthropic', 'mistral']);
    const base = running.base;
    await until('two reasoning runs in flight', async () => ((await get(base, '/metrics')).body as string).match(/^sre_reasoning_in_flight 2$/m) ?? undefined);

    const past = new Date(deps.clock.now().getTime() - 1000);
    await db.db.update(schema.proposals).set({ expiresAt: past }).where(eq(schema.proposals.id, toExpire.proposalId));
    await db.db.insert(schema.timers).values([
      { kind: 'expire', key: `expire:${toExpire.proposalId}`, runAt: past, payload: { proposal_id: toExpire.proposalId } },
      { kind: 'escalate', key: `escalate:${toEscalate.proposalId}`, runAt: past, payload: { proposal_id: toEscalate.proposalId } },
    ]);
    deps.poke?.();
    await until('the expiry and the escalation', async () => {
      const [e] = await db.db.select().from(schema.proposals).where(eq(schema.proposals.id, toExpire.proposalId));
      const [s] = await db.db.select().from(schema.proposals).where(eq(schema.proposals.id, toEscalate.proposalId));
      return e?.status === 'expired' && s?.escalatedAt ? true : undefined;
    });
    // Both happened while the model still held every slot: no incident has its proposal yet.
    const metrics = (await get(base, '/metrics')).body as string;
    expect(metrics).toMatch(/^sre_reasoning_in_flight 2$/m);
    expect(metrics).toMatch(/^sre_work_due\{kind="propose"\} 1$/m);
    const seeded = new Set([toExpire.incidentId, toEscalate.incidentId]);
    expect((await proposals()).filter((r) => !seeded.has(r.incident_id))).toEqual([]);
  });
});

describe('the reasoning deadline', () => {
  const DEADLINE_MS = 2_000;
  // Well past the deadline plus a few seconds, and far below the minutes a hang used to cost.
  const BOUND_MS = 6 * DEADLINE_MS;
  const cases: [string, () => Promise<Response>, string][] = [
    [
      'hangs',
      async () => {
        await delay('infinite');
        return HttpResponse.json({});
      },
      'timeout',
    ],
    ['answers 529 overloaded forever', async () => HttpResponse.json({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, { status: 529 }), '5xx'],
    [
      'answers 429 rate limited forever',
      async () => HttpResponse.json({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, { status: 429, headers: { 'retry-after': '1' } }),
      '429',
    ],
    ['answers garbage', async () => new HttpResponse('<html>502 Bad Gateway</html>', { status: 200, headers: { 'content-type': 'text/html' } }), 'malformed'],
  ];

  it.each(cases)('gives every incident the playbook proposal in time when the model %s, and says why', async (_name, answer, cause) => {
    model(answer);
    running = await startAgent(db, claude({ SRE_REASONING_CONCURRENCY: '4', SRE_REASONING_DEADLINE: '2s' }), { loopMs: 50 });
    const providers = PROVIDERS.slice(0, 4);
    const t0 = Date.now();
    await openIncidents(running, providers);
    const rows = await until('a proposal per incident', allProposed(providers.length));
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
    for (const r of rows) expect(r).toMatchObject({ reasoner: 'playbook', fallback_reason: expect.stringMatching(new RegExp(`^${cause}: `)) });
    const audit = await queryRows<{ kind: string; payload: { fallback_reason?: string; fallback_cause?: string } }>(
      db.db,
      sql`select kind, payload from sre_actions where kind in ('proposal.created', 'reasoning.completed') order by seq`,
    );
    const created = audit.filter((a) => a.kind === 'proposal.created');
    expect(created).toHaveLength(providers.length);
    for (const a of created) expect(a.payload.fallback_reason).toMatch(new RegExp(`^${cause}: `));
    const traces = audit.filter((a) => a.kind === 'reasoning.completed');
    expect(traces.map((t) => t.payload.fallback_cause)).toEqual(providers.map(() => cause));
  });

  it('counts the wait for a slot: incidents queued behind a hanging model still fall back within the deadline', async () => {
    const m = model(async () => {
      await delay('infinite');
      return HttpResponse.json({});
    });
    running = await startAgent(db, claude({ SRE_REASONING_CONCURRENCY: '2', SRE_REASONING_DEADLINE: '2s' }), { loopMs: 50 });
    const t0 = Date.now();
    await openIncidents(running, PROVIDERS.slice(0, 6));
    const rows = await until('a proposal per incident', allProposed(6));
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
    expect(m.maxInFlight).toBeLessThanOrEqual(2);
    for (const r of rows) expect(r).toMatchObject({ reasoner: 'playbook', fallback_reason: expect.stringMatching(/^timeout: /) });
    // The queued ones never reached the model: their deadline had passed when a slot freed.
    expect(rows.filter((r) => /before a reasoning slot took the incident up/.test(r.fallback_reason ?? '')).length).toBeGreaterThan(0);
  });
});

describe('two replicas with leases shorter than the model takes', () => {
  it('reason about each incident once: the holder renews its lease while the model thinks', async () => {
    const m = model(async (p) => {
      await delay(5_000);
      return circuitBreak(p);
    });
    const env = claude({ SRE_REASONING_CONCURRENCY: '2', SRE_REASONING_DEADLINE: '30s' });
    // A lease a third of the model's time; renewed every third of a lease.
    running = await startAgent(db, { ...env, SRE_CONSUMER_NAME: 'sre-a' }, { loopMs: 50, leaseMs: 2_000 });
    const b = await startAgent(db, { ...env, SRE_CONSUMER_NAME: 'sre-b' }, { loopMs: 50, leaseMs: 2_000, clock: running.agent.deps.clock });
    try {
      const providers = PROVIDERS.slice(0, 4);
      await openIncidents(running, providers);
      const rows = await until('a proposal per incident', allProposed(providers.length));
      // Let any double run that a lost lease would allow show itself.
      await delay(1_500);
      expect(await proposals()).toHaveLength(providers.length);
      expect(new Set(rows.map((r) => r.incident_id)).size).toBe(providers.length);
      expect(m.calls).toBe(providers.length);
      const holders = await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from timers where kind = 'propose' and status = 'done' and attempts = 1`);
      expect(holders[0]!.n).toBe(providers.length);
      const renewals = [(await get(running.base, '/metrics')).body as string, (await get(b.base, '/metrics')).body as string]
        .map((t) => Number(/^sre_lease_renewals_total\{work="timer"\} (\d+)$/m.exec(t)?.[1] ?? 0))
        .reduce((x, y) => x + y, 0);
      expect(renewals).toBeGreaterThan(0);
    } finally {
      await b.stop();
    }
  });
});

describe('orphan incidents', () => {
  it('an open incident whose propose timer died is queued for the pool again and proposed once', async () => {
    running = await startAgent(db);
    await openIncidents(running, ['openai']);
    await db.db.update(schema.timers).set({ status: 'dead', attempts: 10, lastError: 'gave up' }).where(eq(schema.timers.kind, 'propose'));
    await running.agent.tick();
    const rows = await proposals();
    expect(rows).toHaveLength(1);
    const [t] = await db.db.select().from(schema.timers).where(eq(schema.timers.kind, 'propose'));
    expect(t).toMatchObject({ status: 'done', attempts: 1, lastError: null, leasedBy: null });
    await running.agent.tick();
    expect(await proposals()).toHaveLength(1);
  });
});

describe('a late proposal', () => {
  it('asks for an incident summary update once reasoning passes the lateness mark', async () => {
    model(async (p) => {
      await delay(1_500);
      return circuitBreak(p);
    });
    const deps = makeDeps(db.db, { channels: ['slack'] });
    deps.reasoner = reasoner({ wallTimeMs: 30_000 }, [], deps.clock);
    const parsed = parseEvent(unhealthy('openai'));
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    const [incidentId] = (await ingestEvents(deps, [{ event: parsed.event, via: 'http' }])).incidentsOpened;
    const pool = createPool(deps, testCatalog(), {
      runner: testRunner(deps, { holder: 'sre-a' }),
      concurrency: 2,
      deadlineMs: 30_000,
      lateAfterMs: 300,
      lateEveryMs: 60_000,
      onLate: (row) => noteLateReasoning(deps, String(row.payload.incident_id)),
    });
    expect(await pool.fill()).toBe(1);
    const late = await until('the late note', async () => {
      const rows = await db.db.select().from(schema.outbox).where(eq(schema.outbox.kind, 'incident.updated'));
      return rows.length > 0 ? rows : undefined;
    });
    expect(late).toEqual([expect.objectContaining({ channel: 'slack', incidentId, payload: { reason: 'reasoning_late' } })]);
    expect(pool.inFlight()).toBe(1);
    await pool.idle();
    expect(await proposals()).toEqual([expect.objectContaining({ incident_id: incidentId, reasoner: 'claude' })]);
  });
});
