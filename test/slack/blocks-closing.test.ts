import { describe, expect, it } from 'vitest';
import { buildClosingSummary, type ClosingInput } from '../../src/slack/blocks/closing-summary.js';
import { leaksIn, slackText } from '../support/slack-text.js';
import { proposalView } from './fixtures.js';

// The closing reply as a phone reads it, one outcome at a time (the delivery is test/slack/closing-summary.test.ts).
const incident = { ...proposalView().incident, status: 'closed' };
const input = (over: Partial<ClosingInput>): ClosingInput => ({ incident, proposals: [], silence: null, durations: { to_execution_ms: null, to_verification_ms: null }, reportUrl: 'http://localhost:8080/sre/incidents/inc_test0001/report', ...over });
const read = (over: Partial<ClosingInput>) => {
  const m = buildClosingSummary(input(over));
  const text = slackText(m);
  expect(leaksIn(text)).toEqual([]);
  expect(leaksIn(m.text)).toEqual([]);
  const lines = text.split('\n');
  expect(lines.length).toBeGreaterThanOrEqual(3);
  expect(lines.length).toBeLessThanOrEqual(4);
  expect(lines.at(-1)).toBe('Incident report · every line cites its audit row');
  return lines;
};

describe('the closing summary', () => {
  it('a change that was reverted says so, by whom, and how long until it was made', () => {
    const p = proposalView({ status: 'succeeded', decided_by: 'bob (slack U0BOB)', decided_via: 'slack', decided_at: '2026-11-25T10:01:00.000Z', reverted_at: '2026-11-25T10:03:00.000Z', reverted_by: 'carol (slack U0CAROL)', verification: { status: 'failed', reason: 'still failing', checked_at: '2026-11-25T10:02:00.000Z' } });
    const lines = read({ proposals: [p], durations: { to_execution_ms: 180_000, to_verification_ms: 300_000 } });
    expect(lines[0]).toBe('Closed · openai fails 42 % of requests, for 2 min');
    expect(lines[1]).toBe("Broke openai's circuit for 2 min, approved by @U0BOB; reverted by @U0CAROL.");
    expect(lines[2]).toBe('Detected 25 Nov, 09:58 UTC; acted on 3 min later.');
  });

  it('a change made by policy that was never verified before the close', () => {
    const p = proposalView({ status: 'succeeded', route: 'auto', decided_by: 'system:policy', decided_via: 'policy', verification: { status: 'pending', reason: null, checked_at: null } });
    const lines = read({ proposals: [p], durations: { to_execution_ms: 4_000, to_verification_ms: null } });
    expect(lines[1]).toBe("Broke openai's circuit for 2 min, without approval, by policy; closed before it was verified.");
    expect(lines[2]).toBe('Detected 25 Nov, 09:58 UTC; fixed 4 s later.');
  });

  it('a rejected proposal, an expired one, and none at all: nothing was done, in words', () => {
    expect(read({ proposals: [proposalView({ status: 'rejected', decided_by: 'dave (slack U0DAVE)' })] })[1]).toBe(`Nothing was done: @U0DAVE rejected "break openai's circuit for 2 min".`);
    expect(read({ proposals: [proposalView({ status: 'expired' })] })[1]).toBe(`Nothing was done: "break openai's circuit for 2 min" expired without a decision.`);
    expect(read({})[1]).toBe('No action was proposed; it went quiet by itself.');
  });

  it('a silence that held it to the close wins over everything else', () => {
    const lines = read({ proposals: [proposalView({ status: 'expired' })], silence: { until: '2026-11-25T12:00:00.000Z', by: 'alice', reason: 'migration <tonight>' } });
    expect(lines[1]).toBe('Silenced until 25 Nov, 12:00 UTC by alice: migration <tonight>. Nothing was done.');
    expect(JSON.stringify(buildClosingSummary(input({ silence: { until: '2026-11-25T12:00:00.000Z', by: 'alice', reason: 'x' } })).blocks)).toContain('<!date^1795608000^');
  });
});

describe('the closing summary after a change and then a silence', () => {
  it('says what was done, and that the silence held what came after', () => {
    const p = proposalView({ status: 'succeeded', decided_by: 'bob (slack U0BOB)', decided_via: 'slack', verification: { status: 'passed', reason: null, checked_at: '2026-11-25T10:10:00.000Z' } });
    const m = buildClosingSummary(input({ proposals: [p], silence: { until: '2026-11-25T12:00:00.000Z', by: 'alice', reason: 'migration' }, durations: { to_execution_ms: 60_000, to_verification_ms: 360_000 } }));
    const lines = slackText(m).split('\n');
    expect(lines).toEqual([
      'Closed · openai fails 42 % of requests, for 2 min',
      "Broke openai's circuit for 2 min, approved by @U0BOB; verified, it held.",
      'Detected 25 Nov, 09:58 UTC; fixed 6 min later.',
      'Silenced until 25 Nov, 12:00 UTC by alice: migration. Nothing more was done.',
      'Incident report · every line cites its audit row',
    ]);
  });
});
