import { http, HttpResponse } from 'msw';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ALICE, INGEST_TOKEN, event, get, post, startAgent, type RunningAgent } from '../support/agent.js';
import { workdayClock } from '../support/clock.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';
import { useMsw } from '../support/msw.js';

/**
 * An approved page stays raised (issue 18, item 5): the page_oncall action has a dedup key of its
 * own, so the PagerDuty channel's "decided" resolve (keyed by the incident) cannot end it; it ends
 * when its incident closes.
 */

const PD = 'https://events.pagerduty.test/v2/enqueue';
const msw = useMsw();
let db: TestDatabase;
let a: RunningAgent;
const clock = workdayClock();
const sent: { action: string; key: string }[] = [];

beforeEach(async () => {
  db = await freshPostgres();
  sent.length = 0;
  msw.use(
    http.post(PD, async ({ request }) => {
      const body = (await request.json()) as { event_action: string; dedup_key: string };
      sent.push({ action: body.event_action, key: body.dedup_key });
      return HttpResponse.json({ status: 'success', dedup_key: body.dedup_key }, { status: 202 });
    }),
  );
  a = await startAgent(db, { PAGERDUTY_ROUTING_KEY: 'R0UTINGKEY0123456789abcdef012345', PAGERDUTY_EVENTS_URL: PD, SRE_PAGERDUTY_MIN_SCORE: '0' }, { clock });
});
afterEach(async () => {
  await a.stop();
  await db.dispose();
});

it('the action page is triggered under its own key, survives the decision, and is resolved when the incident closes', async () => {
  const sla = event('sla.violation', { sla_id: 'sla-search-p99', team: 't-search', metric: 'p99_latency_ms', target: 800, observed: 1900, window_seconds: 600 });
  expect((await post(a.base, '/v1/events', sla, INGEST_TOKEN)).status).toBe(202);
  await a.agent.tick();
  const [p] = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
  expect(p).toMatchObject({ action: 'page_oncall' });
  const incidentKey = p.incident_id as string;
  const actionKey = `page:${p.id}`;
  await a.agent.tick();
  expect(sent).toEqual([{ action: 'trigger', key: incidentKey }]);

  const r = await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE);
  expect(r.body).toMatchObject({ status: 'succeeded' });
  await a.agent.tick();
  await a.agent.tick();
  // The channel's page (asking for a decision) is resolved; the action's own page stays.
  expect(sent).toEqual([
    { action: 'trigger', key: incidentKey },
    { action: 'trigger', key: actionKey },
    { action: 'resolve', key: incidentKey },
  ]);

  // Quiet past SRE_INCIDENT_QUIET: the incident closes, and its action's page with it.
  await clock.advance(31 * 60_000);
  await a.agent.tick();
  await a.agent.tick();
  expect(sent.at(-1)).toEqual({ action: 'resolve', key: actionKey });
  expect(sent.filter((s) => s.key === actionKey).map((s) => s.action)).toEqual(['trigger', 'resolve']);
});
