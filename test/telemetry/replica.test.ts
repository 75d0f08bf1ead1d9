import { describe, expect } from 'vitest';
import { ALICE, INGEST_TOKEN, get, post, unhealthy } from '../support/agent.js';
import type { JobRunner } from '../../src/jobs/index.js';
import { eventually } from '../support/eventually.js';
import { agentTest as test } from '../support/fixtures.js';
import { startReceiver } from './receiver.js';

/**
 * The incident's trace follows its work across replicas (issue 21): replica A ingests the event and
 * stops before reasoning (its work stays in the database, as after a kill); replica B picks the
 * reasoning job up from the database, and its spans continue the trace A started, from the
 * traceparent stored with the incident and its job.
 */
describe('a trace across replicas', () => {
  test.scoped({ failing: ['openai'] });

  test('the replica that takes the work over continues the incident\'s trace', async ({ startAgent }) => {
    const receiver = await startReceiver();
    try {
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' };
      const a = await startAgent({ ...env, SRE_CONSUMER_NAME: 'replica-a' });
      const b = await startAgent({ ...env, SRE_CONSUMER_NAME: 'replica-b' });
      expect((await post(a.base, '/v1/events', unhealthy('openai', { model_group: undefined }), INGEST_TOKEN)).status).toBe(202);
      await a.stop();
      await b.agent.tick();
      const [p] = (await get(b.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
      expect((await post(b.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE)).body.status).toBe('succeeded');
      // A later batch feeding the open incident: a span in the incident's trace, linked to that batch's own.
      expect((await post(b.base, '/v1/events', unhealthy('openai', { model_group: undefined }), INGEST_TOKEN)).status).toBe(202);
      await b.agent.tracing.forceFlush();

      const [ingest, later] = receiver.spans.filter((s) => s.name === 'sre.ingest http');
      if (!ingest || !later) throw new Error('expected two ingest batches');
      expect(later.traceId).not.toBe(ingest.traceId);
      const fed = receiver.spans.find((s) => s.name === 'sre.ingest.fed');
      expect(fed).toMatchObject({ traceId: ingest.traceId, attributes: { 'sre.incident.id': p.incident_id }, links: [{ traceId: later.traceId, spanId: later.spanId }] });
      const job = receiver.spans.find((s) => s.name === 'sre.job propose')!;
      expect(job.attributes['sre.replica']).toBe('replica-b');
      expect(job.traceId).toBe(ingest.traceId);
      expect(job.parentSpanId).toBe(ingest.spanId);
      // The decision came in on B's API, outside any trace: it joins the incident's trace all the same.
      const decide = receiver.spans.find((s) => s.name === 'sre.decide approve')!;
      expect(decide.traceId).toBe(ingest.traceId);
      expect(receiver.spans.find((s) => s.name === 'sre.execute')?.traceId).toBe(ingest.traceId);
    } finally {
      await receiver.close();
    }
  });

  test('a lease taken over from a replica that died holding it continues the incident\'s trace', async ({ startAgent }) => {
    const receiver = await startReceiver();
    try {
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' };
      const a = await startAgent({ ...env, SRE_CONSUMER_NAME: 'replica-a' }, { leaseMs: 400 });
      const b = await startAgent({ ...env, SRE_CONSUMER_NAME: 'replica-b' }, { leaseMs: 400 });
      expect((await post(a.base, '/v1/events', unhealthy('openai', { model_group: undefined }), INGEST_TOKEN)).status).toBe(202);
      // A claims the reasoning job and dies holding it: its lease is never renewed, the job never run.
      const runnerA = a.agent.deps.jobs as unknown as JobRunner;
      const [held] = await runnerA.claim(['propose'], 1);
      expect(held?.leasedBy).toBe('replica-a');
      runnerA.stop();
      // B takes it over once the lease has run out (on the database's clock).
      await eventually(async () => {
        await b.agent.tick();
        return (await get(b.base, '/v1/proposals?status=pending', ALICE)).body.proposals.length > 0;
      }, { what: 'replica B to take the reasoning over' });
      await b.agent.tracing.forceFlush();

      const ingest = receiver.spans.find((s) => s.name === 'sre.ingest http')!;
      const job = receiver.spans.find((s) => s.name === 'sre.job propose' && s.attributes['sre.replica'] === 'replica-b');
      expect(job).toMatchObject({ traceId: ingest.traceId, parentSpanId: ingest.spanId, attributes: { 'sre.job.attempt': 2 } });
      expect(receiver.spans.find((s) => s.name === 'sre.propose')?.traceId).toBe(ingest.traceId);
    } finally {
      await receiver.close();
    }
  });
});
