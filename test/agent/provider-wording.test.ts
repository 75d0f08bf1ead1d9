import { describe, expect, it } from 'vitest';
import { createSimulatedGateway, defaultSimulatedState } from '../../src/actions/simulated.js';
import { CLASS_ANSWER, FAILURE_CLASSES, SAMPLE_MAX, classifyError, classifyEvidence, evidenceFacts, shortLabel, type FailureClass } from '../../src/agent/evidence.js';
import { SYSTEM_PROMPT } from '../../src/agent/claude/prompt.js';
import { PlaybookReasoner } from '../../src/agent/playbook/index.js';
import type { IncidentContext } from '../../src/agent/reasoner.js';
import { normalizeAction } from '../../src/domain/actions.js';
import { evaluate } from '../../eval/evaluate.js';
import { PROVIDERS_DOCUMENTED, WORDING } from '../../eval/provider-wording.js';
import { SCENARIOS } from '../../eval/scenarios.js';

/** Issue 19, item 1: the classifier reads the providers' documented wording, and each class has its least drastic answer. */

const now = new Date('2026-11-25T10:05:00Z');
const reasoner = new PlaybookReasoner();

function incident(latest: Record<string, unknown>): IncidentContext {
  return {
    incident: { id: 'inc_w', key: 'provider:openai', type: 'provider.unhealthy', subject: 'provider openai', status: 'open', firstSeen: new Date(now.getTime() - 300_000), lastSeen: now, eventCount: 6, latest, first: latest },
    recentEvents: [],
    history: [],
    now,
  };
}

/** openai failing as a whole, as the gateway itself reports it: the case where a break is the usual answer. */
function openaiFailing() {
  const seed = defaultSimulatedState();
  Object.assign(seed.providers.openai!, { healthy: false, error_rate: 0.6 });
  return createSimulatedGateway({ seed, clock: { now: () => now } });
}

const openai = (sample: string, error_rate = 0.6) => incident({ provider: 'openai', error_rate, requests: 6000, window_seconds: 60, model_group: 'gpt-4o', sample_errors: [sample, sample] });

describe('the classifier on every documented sample', () => {
  it.each(WORDING.map((w) => [w.id, w] as const))('%s', (_id, w) => {
    expect(classifyError(w.text)).toBe(w.cls);
    expect(w.source.length).toBeGreaterThan(10);
  });

  it('covers the seven providers (and the path to them) with at least 40 documented samples, every class but the gateway\u2019s own among them', () => {
    const fromProviders = WORDING.filter((w) => (PROVIDERS_DOCUMENTED as readonly string[]).includes(w.provider));
    expect(fromProviders.length).toBeGreaterThanOrEqual(40);
    for (const p of ['openai', 'anthropic', 'azure-openai', 'google-ai', 'vertex', 'bedrock', 'mistral', 'cohere']) expect(WORDING.some((w) => w.provider === p), p).toBe(true);
    const covered = new Set<string>(WORDING.map((w) => w.cls));
    for (const c of FAILURE_CLASSES.filter((x) => !['unknown', 'guardrail_block', 'client_error'].includes(x))) expect(covered.has(c), c).toBe(true);
  });

  it('reads a 429 by its words: billing and quota codes are not rate limiting, a per-minute quota is', () => {
    expect(classifyError('429 {"error":{"type":"insufficient_quota"}}')).toBe('quota_exhausted');
    expect(classifyError('429 rate_limit_error enforced_spend_limit_reached')).toBe('quota_exhausted');
    expect(classifyError('429 RESOURCE_EXHAUSTED: Quota exceeded for generate_content_requests_per_minute')).toBe('provider_rate_limit');
    expect(classifyError('429 ThrottlingException: exceeding the account quotas')).toBe('provider_rate_limit');
    expect(classifyError('429 Too Many Requests')).toBe('provider_rate_limit');
    expect(classifyError('402')).toBe('quota_exhausted');
    expect(classifyError('529')).toBe('provider_overloaded');
    // Half the samples billing, half rate limiting: the one a break cannot fix decides.
    expect(classifyEvidence({ sampleErrors: ['429 insufficient_quota', '429 Rate limit reached for requests'], requests: 5000 }).cls).toBe('quota_exhausted');
  });

  it('reads only the first characters of an untrusted sample, and stays fast on text built to backtrack', () => {
    expect(classifyError(`${' '.repeat(SAMPLE_MAX)}insufficient_quota`)).toBe('unknown');
    const t0 = performance.now();
    for (const filler of [' ', 'a', '0', 'model ', 'quota ', 'stream ']) classifyError(`model${filler.repeat(10_000)}!`);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('each class has a least drastic answer, and the playbook names it', () => {
  const cases: [FailureClass, string, string[], string[]][] = [
    ['quota_exhausted', '429 You exceeded your current quota, please check your plan and billing details. (insufficient_quota)', ['reroute_model_group'], ['circuit_break_provider', 'raise_rate_limit']],
    ['model_unavailable', '404 The model `gpt-4o-2099` does not exist or you do not have access to it.', ['reroute_model_group'], ['circuit_break_provider']],
    ['provider_overloaded', "529 overloaded_error: Anthropic's API is temporarily overloaded.", ['circuit_break_provider', 'reroute_model_group'], ['raise_rate_limit']],
    ['stream_interrupted', '424 modelStreamErrorException: An error occurred while streaming the response.', ['circuit_break_provider', 'reroute_model_group'], ['raise_rate_limit']],
    ['network', 'getaddrinfo ENOTFOUND api.openai.com', ['circuit_break_provider', 'reroute_model_group'], ['raise_rate_limit']],
    ['content_filter', '400 content_filter: ResponsibleAIPolicyViolation', ['page_oncall'], ['circuit_break_provider', 'reroute_model_group', 'disable_guardrail_rule']],
    ['context_length', "400 This model's maximum context length is 128000 tokens.", ['page_oncall'], ['circuit_break_provider', 'reroute_model_group']],
  ];
  it.each(cases)('%s', async (cls, sample, acceptable, forbidden) => {
    const d = await reasoner.propose(openai(sample), openaiFailing());
    expect(normalizeAction(d.action, d.params).ok).toBe(true);
    expect(acceptable).toContain(d.action);
    for (const f of forbidden) expect(d.action).not.toBe(f);
    expect(d.reasoning).toContain(`Classified as ${shortLabel(cls)}`);
    expect(d.reasoning).toContain(CLASS_ANSWER[cls].answer);
    if (d.action === 'circuit_break_provider' && CLASS_ANSWER[cls].shortBreak) expect(Number(d.params.duration_seconds)).toBeLessThanOrEqual(120);
  });

  it('answers quota exhaustion with a re-route, never the short break it gives rate limiting, and pages when nothing can move', async () => {
    const quota = await reasoner.propose(openai('429 {"error":{"type":"insufficient_quota","code":"credit_balance_exhausted"}}'), openaiFailing());
    expect(quota).toMatchObject({ action: 'reroute_model_group', params: { model_group: 'gpt-4o', provider: 'azure-openai' } });
    expect(quota.reasoning).toMatch(/no back-off fixes it/);
    expect(quota.reasoning).toMatch(/A circuit-break of openai was not chosen: it restores onto the same exhausted quota/);
    const rate = await reasoner.propose(openai('429 Rate limit reached for requests'), openaiFailing());
    expect(rate.action).toBe('circuit_break_provider');
    const nowhere = await reasoner.propose(openai('429 insufficient_quota'), { ...openaiFailing(), getModelGroup: () => Promise.reject(new Error('ECONNREFUSED')) });
    expect(nowhere).toMatchObject({ action: 'page_oncall', params: { severity: 'error' } });
  });

  it('gives every class an answer, in the facts the model sees and in the system prompt', () => {
    for (const c of FAILURE_CLASSES) expect(CLASS_ANSWER[c].answer.length).toBeGreaterThan(20);
    const facts = evidenceFacts(classifyEvidence({ sampleErrors: ['429 insufficient_quota'], requests: 5000 }));
    expect(facts).toMatchObject({ classification: 'quota_exhausted', moving_traffic_helps: 'reroute', least_drastic_answer: CLASS_ANSWER.quota_exhausted.answer });
    for (const c of FAILURE_CLASSES.filter((x) => x !== 'unknown')) expect(SYSTEM_PROMPT).toContain(`- ${c}: `);
    expect(SYSTEM_PROMPT).toMatch(/a 429 that is quota or billing is not rate limiting/);
  });
});

describe('the eval (issue 19, item 6)', () => {
  it('holds at least 100 scenarios, at least 40 in the providers\u2019 documented wording, each with its source', () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(100);
    const worded = SCENARIOS.filter((s) => s.tags?.includes('provider-wording'));
    expect(worded.length).toBeGreaterThanOrEqual(40);
    for (const s of worded) expect(s.source, s.id).toMatch(/\S{10,}/);
  });

  it('the playbook proposes an acceptable action on every scenario in providers\u2019 wording, and no forbidden one', async () => {
    const sum = await evaluate(reasoner, SCENARIOS.filter((s) => s.tags?.includes('provider-wording')));
    expect(sum.rows.filter((r) => !r.acceptable).map((r) => `${r.s.id}: ${r.action}`)).toEqual([]);
    expect(sum.forbidden).toEqual([]);
  });
});
