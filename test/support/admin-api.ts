import { http, HttpResponse } from 'msw';
import { expect } from 'vitest';
import { ALICE, BOB, INGEST_TOKEN, get, post, unhealthy, type RunningAgent } from './agent.js';
import type { Msw } from './fixtures.js';

export const ADMIN = 'https://admin.scutum.test';

export interface AppliedWrite {
  method: string;
  path: string;
  /** The Idempotency-Key the agent sent with it. */
  key: string | null;
}

/**
 * A stand-in admin-api over HTTP (msw) that reads openai as failing and records every write it
 * applies. For tests where the agent and the CLI must reach one admin-api by URL, or where the
 * writes themselves are the evidence; elsewhere the simulated gateway is the twin.
 */
export function adminApiStandIn(server: Msw, base = ADMIN): AppliedWrite[] {
  const applied: AppliedWrite[] = [];
  server.use(
    http.get(`${base}/v1/providers/:p`, ({ params }) => HttpResponse.json({ name: params.p, healthy: false })),
    http.get(`${base}/v1/model-groups/:g`, ({ params }) =>
      HttpResponse.json({ name: params.g, provider: 'openai', providers: [{ name: 'openai', healthy: false }, { name: 'azure-openai', healthy: true }] }),
    ),
    http.all(`${base}/v1/*`, ({ request }) => {
      applied.push({ method: request.method, path: new URL(request.url).pathname, key: request.headers.get('idempotency-key') });
      return HttpResponse.json({ ok: true });
    }),
  );
  return applied;
}

/**
 * An openai incident on `a` (an agent whose SRE_TWO_PERSON_SCORE its proposal reaches) whose
 * proposal alice and then bob approve: executed, through the stand-in. The proposal, as alice lists it.
 */
export async function executedByTwo(a: RunningAgent): Promise<{ id: string; incident_id: string }> {
  expect((await post(a.base, '/v1/events', unhealthy('openai', { requests: 60, window_seconds: 60 }), INGEST_TOKEN)).status).toBe(202);
  await a.agent.tick();
  const [p] = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
  expect(p).toMatchObject({ approvals_required: 2 });
  expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE)).status).toBe(200);
  expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, BOB)).body).toMatchObject({ status: 'succeeded' });
  return p;
}
