import { describe, expect } from 'vitest';
import { ALICE, INGEST_TOKEN, get, post, unhealthy, type RunningAgent } from '../support/agent.js';
import { eventually } from '../support/eventually.js';
import { agentTest as test } from '../support/fixtures.js';
import { sample } from '../ship/support.js';
import { startReceiver } from './receiver.js';

/**
 * A collector that hangs or refuses never slows or fails incident work (issue 21, bad input): the
 * incident goes from event to executed action as it would untraced, and the spans that could not
 * be sent are dropped and counted on /metrics (sre_trace_spans_dropped_total).
 */

async function incidentToExecution(a: RunningAgent): Promise<void> {
  expect((await post(a.base, '/v1/events', unhealthy('openai', { model_group: undefined }), INGEST_TOKEN)).status).toBe(202);
  await a.agent.tick();
  const [p] = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
  expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE)).body.status).toBe('succeeded');
}

const dropped = async (a: RunningAgent, reason: string) => sample((await get(a.base, '/metrics')).body as string, 'sre_trace_spans_dropped_total', { reason }) ?? 0;

describe('a collector that hangs or refuses', () => {
  test.scoped({ failing: ['openai'] });

  test('hangs: the incident is executed, and spans past the queue are dropped and counted', async ({ startAgent }) => {
    const receiver = await startReceiver('hang');
    try {
      const a = await startAgent({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_MAX_QUEUE_SIZE: '2', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1', OTEL_BSP_EXPORT_TIMEOUT: '600000' });
      expect(await dropped(a, 'queue_full')).toBe(0);
      await incidentToExecution(a);
      expect(receiver.requests).toBeGreaterThan(0);
      expect(await dropped(a, 'queue_full')).toBeGreaterThan(0);
    } finally {
      await receiver.close();
    }
  });

  test('refuses (503): the incident is executed, and the refused exports are counted', async ({ startAgent }) => {
    const receiver = await startReceiver('refuse');
    try {
      const a = await startAgent({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TIMEOUT: '200', OTEL_BSP_SCHEDULE_DELAY: '10' });
      await incidentToExecution(a);
      await eventually(async () => (await dropped(a, 'export_failed')) > 0, { what: 'refused exports counted' });
    } finally {
      await receiver.close();
    }
  });
});
