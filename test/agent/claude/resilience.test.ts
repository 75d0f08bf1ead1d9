import { delay, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { createSimulatedGateway } from '../../../src/actions/simulated.js';
import { useMsw } from '../../support/msw.js';
import { createClaudeReasoner } from '../../../src/agent/claude/reasoner.js';
import { BASE_URL, MODEL, apiError, message, messagesApi, providerIncident, reasoner, silent, tool } from './support.js';

const server = useMsw();

const good = () =>
  message([tool('propose_circuit_break_provider', { provider: 'openai', duration_seconds: 60, reason: 'failing', rationale: 'openai is failing' })]);

describe('claude reasoner: resilience', () => {
  it('waits as retry-after says on 429, then succeeds', async () => {
    const waits: number[] = [];
    const sent = messagesApi(server, [() => apiError(429, 'rate_limit_error', { 'retry-after': '1' }), good]);
    const d = await reasoner({}, waits).propose(providerIncident(), createSimulatedGateway());
    expect(sent).toHaveLength(2);
    expect(waits).toEqual([1000]);
    expect(d).toMatchObject({ reasoner: 'claude', action: 'circuit_break_provider' });
    const calls = (d.trace as { calls: { attempts: { status: number; waited_ms: number }[] }[] }).calls;
    expect(calls[0]!.attempts).toEqual([expect.objectContaining({ status: 429, waited_ms: 1000 })]);
  });

  it('bounds a long retry-after by maxRetryAfterMs', async () => {
    const waits: number[] = [];
    messagesApi(server, [() => apiError(429, 'rate_limit_error', { 'retry-after': '3600' }), good]);
    await reasoner({ maxRetryAfterMs: 2000 }, waits).propose(providerIncident(), createSimulatedGateway());
    expect(waits).toEqual([2000]);
  });

  it.each([
    [529, 'overloaded_error'],
    [500, 'api_error'],
  ])('falls back to the playbook after bounded retries on repeated %i', async (status, type) => {
    const sent = messagesApi(server, [() => apiError(status, type)]);
    const d = await reasoner({ maxRetries: 2 }).propose(providerIncident(), createSimulatedGateway());
    expect(sent).toHaveLength(3);
    expect(d.reasoner).toBe('playbook');
    expect(d.fallbackReason).toContain(String(status));
    expect(d.action).toBeTruthy();
  });

  it('recovers from one 529', async () => {
    const sent = messagesApi(server, [() => apiError(529, 'overloaded_error'), good]);
    const d = await reasoner().propose(providerIncident(), createSimulatedGateway());
    expect(sent).toHaveLength(2);
    expect(d.reasoner).toBe('claude');
  });

  it('does not retry a 400 and falls back at once', async () => {
    const sent = messagesApi(server, [() => apiError(400, 'invalid_request_error')]);
    const d = await reasoner().propose(providerIncident(), createSimulatedGateway());
    expect(sent).toHaveLength(1);
    expect(d).toMatchObject({ reasoner: 'playbook', fallbackReason: expect.stringContaining('400') });
  });

  it('falls back after timeouts', async () => {
    const sent = messagesApi(server, [
      async () => {
        await delay(2_000);
        return good();
      },
    ]);
    const d = await reasoner({ timeoutMs: 50, maxRetries: 1 }).propose(providerIncident(), createSimulatedGateway());
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(d).toMatchObject({ reasoner: 'playbook', fallbackReason: expect.stringContaining('timeout') });
  });

  it('treats a malformed body as a failure and falls back', async () => {
    messagesApi(server, [() => HttpResponse.json({ id: 'msg_x', type: 'message', content: 'not blocks' })]);
    const d = await reasoner({ maxRetries: 1 }).propose(providerIncident(), createSimulatedGateway());
    expect(d).toMatchObject({ reasoner: 'playbook', fallbackReason: expect.stringContaining('malformed') });
  });

  it('falls back when the gateway reads throw, without throwing itself', async () => {
    messagesApi(server, [() => apiError(503, 'api_error')]);
    const broken = {
      getProvider: () => Promise.reject(new Error('admin-api down')),
      getModelGroup: () => Promise.reject(new Error('admin-api down')),
      getTeam: () => Promise.reject(new Error('admin-api down')),
      getBudget: () => Promise.reject(new Error('admin-api down')),
    };
    const d = await reasoner({ maxRetries: 0 }).propose(providerIncident(), broken);
    expect(d.reasoner).toBe('playbook');
    expect(d.fallbackReason).toBeTruthy();
  });

  it('goes on without admin-api reads that hang, offering only what the event itself names', async () => {
    const sent = messagesApi(server, [good]);
    const hung = () => new Promise<never>(() => {});
    const gateway = { getProvider: hung, getModelGroup: hung, getTeam: hung, getBudget: hung };
    const d = await reasoner({ readTimeoutMs: 20 }).propose(providerIncident(), gateway);
    expect(d).toMatchObject({ reasoner: 'claude', action: 'circuit_break_provider' });
    const names = sent[0]!.body.tools.map((t) => t.name);
    expect(names).toContain('propose_circuit_break_provider');
    expect(names).not.toContain('propose_reroute_model_group');
    expect((d.trace as { targets: { notes: string[] } }).targets.notes).toEqual([
      expect.stringMatching(/provider openai: read failed \(ReadTimeout\)/),
      expect.stringMatching(/model group gpt-4o: read failed \(ReadTimeout\)/),
    ]);
  });

  it('still answers when the model and the fallback both fail: a page to on-call, never a throw', async () => {
    messagesApi(server, [() => apiError(401, 'authentication_error')]);
    const broken = {
      name: 'playbook' as const,
      propose: () => Promise.reject(new Error('playbook bug')),
      converse: () => Promise.reject(new Error('playbook bug')),
    };
    const r = createClaudeReasoner({ apiKey: 'sk-ant-wrong', baseURL: BASE_URL, model: MODEL, logger: silent, fallback: broken, limits: { maxRetries: 0 } });
    const d = await r.propose(providerIncident(), createSimulatedGateway());
    expect(d).toMatchObject({ action: 'page_oncall', fallbackReason: expect.stringMatching(/401.*the fallback failed too/) });
    const a = await r.converse(providerIncident(), [{ author: 'U1', text: 'status?', at: new Date() }], createSimulatedGateway());
    expect(a.reply).toMatch(/cannot answer right now/);
    expect(JSON.stringify([d, a])).not.toContain('sk-ant-wrong');
  });
});
