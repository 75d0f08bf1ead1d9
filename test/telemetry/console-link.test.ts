import { eq, sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { queryRows, schema } from '../../src/db/client.js';
import { ALICE, INGEST_TOKEN, get, post, unhealthy, type RunningAgent } from '../support/agent.js';
import { agentTest as test } from '../support/fixtures.js';
import { call, cookiesFrom, hidden } from '../web/console/client.js';
import { startReceiver } from './receiver.js';

/** The console links a proposal and its incident report to the incident's trace through SRE_TRACE_URL. */

async function signedIn(a: RunningAgent): Promise<(path: string) => Promise<string>> {
  const port = Number(new URL(a.base).port);
  const form = await call(port, 'GET', '/sre/login');
  const jar = cookiesFrom(form);
  const res = await call(port, 'POST', '/sre/login', { headers: { cookie: jar }, form: { csrf: hidden(form.body, 'csrf')!, next: '/sre', token: ALICE } });
  const cookie = cookiesFrom(res, jar);
  return async (path) => (await call(port, 'GET', path, { headers: { cookie } })).body;
}

async function oneProposal(a: RunningAgent) {
  expect((await post(a.base, '/v1/events', unhealthy('openai', { model_group: undefined }), INGEST_TOKEN)).status).toBe(202);
  await a.agent.tick();
  return (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals[0] as { id: string; incident_id: string };
}

describe('the console and SRE_TRACE_URL', () => {
  test('links the proposal page and the incident report to the incident\'s trace', async ({ startAgent, db }) => {
    const receiver = await startReceiver();
    try {
      const a = await startAgent({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, SRE_TRACE_URL: 'https://tempo.example/explore?trace={trace_id}&org=1' });
      const p = await oneProposal(a);
      const [incident] = await db.db.select().from(schema.incidents).where(eq(schema.incidents.id, p.incident_id));
      const traceId = incident!.traceParent!.slice(3, 35);
      const page = await signedIn(a);
      const link = `href="https://tempo.example/explore?trace=${traceId}&amp;org=1"`;
      expect(await page(`/sre/proposals/${p.id}`)).toContain(link);
      expect(await page(`/sre/incidents/${p.incident_id}/report`)).toContain(link);
    } finally {
      await receiver.close();
    }
  });

  test('shows no trace link when tracing was off, even with SRE_TRACE_URL set', async ({ startAgent, db }) => {
    const a = await startAgent({ SRE_TRACE_URL: 'https://tempo.example/trace/{trace_id}' });
    const p = await oneProposal(a);
    const [incident] = await db.db.select().from(schema.incidents).where(eq(schema.incidents.id, p.incident_id));
    expect(incident!.traceParent).toBeNull();
    // Untraced, the audit rows carry no trace id and jobs no trace context.
    expect(await queryRows(db.db, sql`select seq from sre_actions where payload ? 'trace_id'`)).toEqual([]);
    expect(await queryRows(db.db, sql`select id from timers where trace_parent is not null`)).toEqual([]);
    const page = await signedIn(a);
    expect(await page(`/sre/proposals/${p.id}`)).not.toContain('tempo.example');
  });
});
