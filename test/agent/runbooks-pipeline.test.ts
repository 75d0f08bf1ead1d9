import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/db/client.js';
import { createAgent, StartupError } from '../../src/main.js';
import { propose } from '../../src/proposals/index.js';
import { ALICE, INGEST_TOKEN, event, gatewayAgreeing, get, post, startAgent, testConfig, unhealthy, type RunningAgent } from '../support/agent.js';
import { freshPglite, freshPostgres, type TestDatabase } from '../support/db.js';
import { call, cookiesFrom, hidden } from '../web/console/client.js';

/** Runbooks through the whole agent: SRE_RUNBOOK_DIR at start, the proposal it narrows, what it records. */

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples/runbooks');
const sha = (f: string) => createHash('sha256').update(readFileSync(path.join(EXAMPLES, f))).digest('hex');

describe('runbooks in the running agent', () => {
  let d: TestDatabase;
  let a: RunningAgent;
  beforeAll(async () => {
    d = await freshPostgres();
    a = await startAgent(d, { SRE_RUNBOOK_DIR: EXAMPLES }, { gateway: gatewayAgreeing(['openai', 'anthropic']) });
  });
  afterAll(async () => {
    await a?.stop();
    await d?.dispose();
  });

  const proposalOf = async (incidentType: string, provider: string) => {
    const all = (await get(a.base, '/v1/proposals', ALICE)).body.proposals as { id: string; incident_id: string; action: string; target: string; runbook: unknown }[];
    const [inc] = await d.db.select().from(schema.incidents).where(and(eq(schema.incidents.type, incidentType), eq(schema.incidents.subject, `provider ${provider}`)));
    return all.find((p) => p.incident_id === inc?.id);
  };

  it('a matching runbook changes the choice, and the proposal records its path and SHA-256 in the view and the audit trail', async () => {
    expect((await post(a.base, '/v1/events', [unhealthy('openai'), unhealthy('anthropic', { model_group: 'claude-sonnet' })], INGEST_TOKEN)).status).toBe(202);
    await a.agent.tick();
    const openai = await proposalOf('provider.unhealthy', 'openai');
    const anthropic = await proposalOf('provider.unhealthy', 'anthropic');
    // openai follows openai-reroute-first.md (never circuit-break); anthropic has no runbook and is broken.
    expect(openai).toMatchObject({ action: 'reroute_model_group', runbook: { path: 'openai-reroute-first.md', sha256: sha('openai-reroute-first.md') } });
    expect(anthropic).toMatchObject({ action: 'circuit_break_provider', runbook: null });
    const single = (await get(a.base, `/v1/proposals/${openai!.id}`, ALICE)).body;
    expect(single.runbook).toEqual({ path: 'openai-reroute-first.md', sha256: sha('openai-reroute-first.md') });
    const [created] = await d.db.select().from(schema.sreActions).where(and(eq(schema.sreActions.kind, 'proposal.created'), eq(schema.sreActions.proposalId, openai!.id)));
    expect(created?.payload.runbook).toEqual({ path: 'openai-reroute-first.md', sha256: sha('openai-reroute-first.md') });
  });

  it('the console proposal page names the runbook', async () => {
    const openai = await proposalOf('provider.unhealthy', 'openai');
    const port = Number(new URL(a.base).port);
    const form = await call(port, 'GET', '/sre/login');
    const j = cookiesFrom(form);
    const res = await call(port, 'POST', '/sre/login', { headers: { cookie: j }, form: { csrf: hidden(form.body, 'csrf')!, next: '/sre', token: ALICE } });
    const page = await call(port, 'GET', `/sre/proposals/${openai!.id}`, { headers: { cookie: cookiesFrom(res, j) } });
    expect(page.status).toBe(200);
    expect(page.body).toContain(`Runbook <code>openai-reroute-first.md</code> · sha256 <code>${sha('openai-reroute-first.md').slice(0, 12)}</code>`);
  });

  it('a never action from any reasoner (here a revision draft) is refused in code and falls back to a page', async () => {
    const openai = await proposalOf('provider.unhealthy', 'openai');
    const view = await propose(a.agent.deps, {
      incidentId: openai!.incident_id,
      actor: { type: 'user', name: 'alice', via: 'console' },
      draft: { action: 'circuit_break_provider', params: { provider: 'openai', duration_seconds: 60, reason: 'break it' }, reasoning: 'a break', reasoner: 'claude' },
    });
    expect(view?.action).toBe('page_oncall');
    expect(view?.runbook).toEqual({ path: 'openai-reroute-first.md', sha256: sha('openai-reroute-first.md') });
    const [created] = await d.db.select().from(schema.sreActions).where(and(eq(schema.sreActions.kind, 'proposal.created'), eq(schema.sreActions.proposalId, view!.id)));
    expect(created?.payload.rejected).toEqual(['the runbook openai-reroute-first.md forbids circuit_break_provider (never)']);
  });

  it("under a runbook the model's risk suggestion may not lower the score", async () => {
    const openai = await proposalOf('provider.unhealthy', 'openai');
    const draft = (delta: number) => ({
      action: 'reroute_model_group' as const,
      params: { model_group: 'gpt-4o', provider: 'azure-openai', previous_provider: 'openai', reason: 'move gpt-4o' },
      reasoning: 'move it',
      reasoner: 'claude' as const,
      riskAdjustment: { delta, reason: 'the runbook says this is safe' },
    });
    const lowered = await propose(a.agent.deps, { incidentId: openai!.incident_id, actor: { type: 'user', name: 'alice', via: 'console' }, draft: draft(-10) });
    expect(lowered?.action).toBe('reroute_model_group');
    expect(lowered?.risk_factors.filter((f) => f.delta < 0)).toEqual([]);
    const raised = await propose(a.agent.deps, { incidentId: openai!.incident_id, actor: { type: 'user', name: 'alice', via: 'console' }, draft: draft(5) });
    expect(raised!.risk_score).toBe(lowered!.risk_score + 5);
  });

  it('the checkout SLA follows checkout-sla.md: a rate-limit raise instead of a page', async () => {
    const sla = event('sla.violation', { sla_id: 'sla-checkout-p95', team: 't-checkout', metric: 'p95_latency_ms', target: 2000, observed: 3400, window_seconds: 300 });
    expect((await post(a.base, '/v1/events', sla, INGEST_TOKEN)).status).toBe(202);
    await a.agent.tick();
    const all = (await get(a.base, '/v1/proposals', ALICE)).body.proposals as { action: string; target: string; runbook: { path: string } | null }[];
    expect(all.find((p) => p.runbook?.path === 'checkout-sla.md')).toMatchObject({ action: 'raise_rate_limit', target: 'team:t-checkout', params: { team: 't-checkout', previous: 600 } });
  });
});

describe('a malformed runbook stops the start', () => {
  it('names the file and line, and the agent does not start (PGlite)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'runbooks-bad-'));
    writeFileSync(path.join(dir, 'bad.md'), '---\nmatch: { type: provider.unhealthy }\nprefer: [reboot_the_world]\n---\n');
    const d = await freshPglite();
    try {
      const start = createAgent(testConfig({ SRE_RUNBOOK_DIR: dir }), { database: d, loopMs: 0, logger: pino({ level: 'silent' }) });
      await expect(start).rejects.toBeInstanceOf(StartupError);
      await expect(start).rejects.toThrow(`${path.join(dir, 'bad.md')}:3: prefer: "reboot_the_world" is not an action of the library`);
      expect(await d.db.select().from(schema.proposals)).toEqual([]);
    } finally {
      await d.dispose();
    }
  });
});
