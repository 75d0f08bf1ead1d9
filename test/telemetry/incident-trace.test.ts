import { eq, sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { startAdminApiStub, startModelStub } from '../../bench/stubs.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { queryRows, schema } from '../../src/db/client.js';
import { ALICE, INGEST_TOKEN, get, post, unhealthy } from '../support/agent.js';
import { agentTest as test } from '../support/fixtures.js';
import { startReceiver } from './receiver.js';
import { agentLogger, one, SPAN_KIND } from './support.js';

/**
 * One incident's trace, as a collector receives it (issue 21): ingest over HTTP, reasoning with
 * Claude (a local Messages API), the decision, the gate, the admin-api call (a local stand-in that
 * records its headers) and the verification, all under one trace id; the audit rows and log lines
 * of the incident carry it. Once per OTLP protocol.
 */
describe.each(['http/protobuf', 'http/json'] as const)('one incident traced over OTLP %s', (protocol) => {
  test('every step from ingest to verification is one trace, the admin-api receives its traceparent, the audit and the logs name it', async ({ startAgent, clock, db }) => {
    const receiver = await startReceiver();
    const admin = await startAdminApiStub();
    const model = await startModelStub(0);
    const log = agentLogger();
    try {
      const a = await startAgent(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
          OTEL_SERVICE_NAME: 'sre-agent-test',
          OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,team=sre%20team',
          ADMIN_API_URL: admin.url,
          ADMIN_API_TOKEN: 'admin-secret',
          ANTHROPIC_API_KEY: 'sk-ant-test-key',
          ANTHROPIC_BASE_URL: model.url,
        },
        { logger: log.logger },
      );
      expect(a.agent.tracing.enabled).toBe(true);
      expect((await post(a.base, '/v1/events', unhealthy('openai', { model_group: undefined }), INGEST_TOKEN)).status).toBe(202);
      await a.agent.tick();
      const [p] = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals;
      expect(p.action).toBe('circuit_break_provider');
      expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE)).body.status).toBe('succeeded');
      await clock.advance(300_000);
      await a.agent.tick();
      const [verified] = await db.db.select().from(schema.proposals).where(eq(schema.proposals.id, p.id));
      expect(['passed', 'failed', 'reverted']).toContain(verified!.verificationStatus);
      await a.agent.tracing.forceFlush();

      const spans = receiver.spans;
      const ingest = one(spans, 'sre.ingest http');
      expect(ingest.kind).toBe(SPAN_KIND.SERVER);
      const traceId = ingest.traceId;
      const [incident] = await db.db.select().from(schema.incidents).where(eq(schema.incidents.id, p.incident_id));
      expect(incident!.traceParent?.slice(3, 35)).toBe(traceId);

      const inTrace = spans.filter((s) => s.traceId === traceId);
      const names = new Set(inTrace.map((s) => s.name));
      for (const n of ['sre.job propose', 'sre.propose', 'invoke_agent claude', 'sre.decide approve', 'sre.gate', 'sre.gate.check shadow', 'sre.gate.check kill_switch', 'sre.execute', 'admin-api POST', 'sre.job verify', 'sre.verify']) {
        expect(names, n).toContain(n);
      }
      // Reasoning in the GenAI conventions: one span per model call, one per tool call.
      const chats = inTrace.filter((s) => s.name === 'chat claude-sonnet-4-6');
      expect(chats.length).toBe(model.calls.length);
      for (const c of chats) {
        expect(c.kind).toBe(SPAN_KIND.CLIENT);
        expect(c.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'claude-sonnet-4-6', 'gen_ai.usage.input_tokens': 1200, 'gen_ai.usage.output_tokens': 80 });
      }
      expect(inTrace.filter((s) => s.name.startsWith('execute_tool ')).map((s) => s.attributes['gen_ai.tool.name']).sort()).toEqual(['get_provider', 'propose_circuit_break_provider']);
      expect(one(inTrace, 'sre.decide approve').attributes).toMatchObject({ 'sre.decision.channel': 'api', 'sre.decision.actor': 'alice' });
      expect(one(inTrace, 'sre.gate').attributes['sre.gate.result']).toBe('pass');

      // The execution as an HTTP client span whose context reached the admin-api as traceparent.
      const call = inTrace.filter((s) => s.name === 'admin-api POST');
      expect(call.length).toBe(1);
      expect(call[0]!.kind).toBe(SPAN_KIND.CLIENT);
      expect(call[0]!.attributes['http.response.status_code']).toBe(200);
      const write = admin.calls.find((c) => c.method.startsWith('POST /v1/providers/openai/circuit-breaker'));
      expect(write?.headers?.traceparent).toBe(`00-${traceId}-${call[0]!.spanId}-01`);

      // The resource: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (percent-decoded).
      expect(ingest.resource).toMatchObject({ 'service.name': 'sre-agent-test', 'deployment.environment.name': 'test', team: 'sre team' });
      expect(new Set(receiver.contentTypes)).toEqual(new Set([protocol === 'http/json' ? 'application/json' : 'application/x-protobuf']));

      // Every audit row of the incident names the trace; the chain still verifies.
      const rows = await queryRows<{ kind: string; trace_id: string | null }>(db.db, sql`select kind, payload->>'trace_id' as trace_id from sre_actions where incident_id = ${p.incident_id} order by seq`);
      expect(rows.length).toBeGreaterThan(5);
      for (const r of rows) expect(r.trace_id, r.kind).toBe(traceId);
      expect((await verifyAudit(db.db)).ok).toBe(true);

      // Log lines written inside the incident's spans carry its trace id.
      const traced = log.lines().filter((l) => l.trace_id === traceId);
      expect(traced.map((l) => l.msg)).toEqual(expect.arrayContaining(['proposal recorded', 'proposal decided']));
    } finally {
      await Promise.all([receiver.close(), admin.close(), model.close()]);
    }
  });
});
