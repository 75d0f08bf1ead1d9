import { delay } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import { createSimulatedGateway } from '../../../src/actions/simulated.js';
import { createClaudeReasoner } from '../../../src/agent/claude/reasoner.js';
import { PlaybookReasoner } from '../../../src/agent/playbook/index.js';
import { createTestClock, type TestClock } from '../../support/clock.js';
import { useMsw } from '../../support/msw.js';
import { BASE_URL, MODEL, apiError, message, messagesApi, providerIncident, silent, tool } from './support.js';

const server = useMsw();

const good = () =>
  message([tool('propose_circuit_break_provider', { provider: 'openai', duration_seconds: 60, reason: 'failing', rationale: 'openai is failing' })]);
const hang = async () => {
  await delay('infinite');
  return good();
};

function claude(clock: TestClock, limits: Record<string, number> = {}, waits?: number[]) {
  return createClaudeReasoner({
    apiKey: 'sk-ant-test-key',
    baseURL: BASE_URL,
    model: MODEL,
    logger: silent,
    // The playbook's reads are not on this clock: short, so its answer to hung reads comes at once.
    fallback: new PlaybookReasoner({ readTimeoutMs: 5 }),
    clock,
    limits: { retryBaseDelayMs: 1, ...limits },
    ...(waits ? { sleep: async (ms: number) => void waits.push(ms) } : {}),
  });
}

/** Moves the clock by `ms` once `n` timers wait on it (the run's deadline timer is always one). */
async function advanceWhen(clock: TestClock, n: number, ms: number) {
  await clock.untilWaiting(n);
  await clock.advance(ms);
}

// Every deadline, latency, retry wait and read timeout is on the reasoner's clock: nothing here waits in real time.
describe('claude reasoner: time is the clock', () => {
  it('times out hung reads and a hung model call when the clock passes them, and measures latency on it', async () => {
    messagesApi(server, [hang]);
    const clock = createTestClock();
    const hung = () => new Promise<never>(() => {});
    const gateway = { getProvider: hung, getModelGroup: hung, getTeam: hung, getBudget: hung };
    const p = claude(clock, { readTimeoutMs: 2_000, timeoutMs: 30_000, maxRetries: 0 }).propose(providerIncident(), gateway);
    await advanceWhen(clock, 2, 2_000); // provider read
    await advanceWhen(clock, 2, 2_000); // model group read
    await advanceWhen(clock, 2, 30_000); // the model call's attempt
    const d = await p;
    expect(d).toMatchObject({ reasoner: 'playbook', fallbackReason: 'timeout: model call failed after 1 attempt(s): timeout' });
    const t = d.trace as { calls: { latency_ms: number }[]; targets: { notes: string[] }; wall_ms: number };
    expect(t.targets.notes).toEqual(['provider openai: read failed (ReadTimeout)', 'model group gpt-4o: read failed (ReadTimeout)']);
    expect(t.calls.map((c) => c.latency_ms)).toEqual([30_000]);
    expect(t.wall_ms).toBe(34_000);
    expect(clock.waiting()).toBe(0);
  });

  it('ends a call in flight at the run deadline of the clock', async () => {
    messagesApi(server, [hang]);
    const clock = createTestClock();
    const p = claude(clock, { wallTimeMs: 10_000, timeoutMs: 30_000 }).propose(providerIncident(), createSimulatedGateway());
    await advanceWhen(clock, 1, 10_000);
    expect(await p).toMatchObject({ reasoner: 'playbook', fallbackReason: 'timeout: model call failed after 1 attempt(s): timeout: the reasoning deadline passed during the call' });
  });

  it('waits for a retry on the clock by default', async () => {
    const sent = messagesApi(server, [() => apiError(429, 'rate_limit_error', { 'retry-after': '5' }), good]);
    const clock = createTestClock();
    const sleeps: number[] = [];
    const recording: TestClock = { ...clock, sleep: (ms, signal) => (sleeps.push(ms), clock.sleep(ms, signal)) };
    const p = claude(recording).propose(providerIncident(), createSimulatedGateway());
    await vi.waitFor(() => expect(sleeps).toEqual([5_000]));
    await clock.advance(4_999);
    expect(sent).toHaveLength(1);
    await clock.advance(1);
    expect(await p).toMatchObject({ reasoner: 'claude', action: 'circuit_break_provider' });
    expect(sent).toHaveLength(2);
  });

  it('reads a retry-after date against the clock', async () => {
    const clock = createTestClock();
    const at = new Date(clock.nowMs() + 7_000).toUTCString();
    messagesApi(server, [() => apiError(429, 'rate_limit_error', { 'retry-after': at }), good]);
    const waits: number[] = [];
    await claude(clock, {}, waits).propose(providerIncident(), createSimulatedGateway());
    expect(waits).toEqual([7_000]);
  });
});
