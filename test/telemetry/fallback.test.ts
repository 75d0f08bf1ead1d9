import { describe, expect } from 'vitest';
import { ALICE, INGEST_TOKEN, get, post, unhealthy } from '../support/agent.js';
import { agentTest as test } from '../support/fixtures.js';
import { startReceiver } from './receiver.js';
import { one } from './support.js';

/**
 * A model that cannot be reached: each model call span says why it gave up (`error.type`, one
 * event per failed attempt), and the reasoning span says it fell back to the playbook, and why.
 */
describe('a fallback in the trace', () => {
  test.scoped({ failing: ['openai'] });

  test('the model calls carry their cause and the reasoning span its fallback', async ({ startAgent }) => {
    const receiver = await startReceiver();
    const closed = await startReceiver();
    const nowhere = closed.url;
    await closed.close();
    try {
      const a = await startAgent({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ANTHROPIC_API_KEY: 'sk-ant-test-key', ANTHROPIC_BASE_URL: nowhere, SRE_REASONING_DEADLINE: '20s' });
      expect((await post(a.base, '/v1/events', unhealthy('openai', { model_group: undefined }), INGEST_TOKEN)).status).toBe(202);
      await a.agent.tick();
      const [p] = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
      expect(p.reasoner).toBe('playbook');
      await a.agent.tracing.forceFlush();

      const reasoning = one(receiver.spans, 'invoke_agent claude');
      expect(reasoning.attributes).toMatchObject({ 'sre.reasoning.fallback': true, 'sre.reasoning.fallback_cause': 'connection' });
      expect(reasoning.events.find((e) => e.name === 'sre.reasoning.fallback')?.attributes['error.type']).toBe('connection');
      const chats = receiver.spans.filter((s) => s.name === 'chat claude-sonnet-4-6');
      expect(chats.length).toBeGreaterThan(0);
      for (const c of chats) {
        expect(c.traceId).toBe(reasoning.traceId);
        expect(c.attributes['error.type']).toBe('connection');
        expect(c.status.code).toBe(2);
        expect(c.events.filter((e) => e.name === 'gen_ai.attempt.failed').length).toBeGreaterThan(0);
      }
    } finally {
      await receiver.close();
    }
  });
});
