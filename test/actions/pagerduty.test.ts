import { http, HttpResponse } from 'msw';

import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ExecutionError } from '../../src/actions/gateway.js';
import { createPager } from '../../src/actions/index.js';
import { createLogPager, createPagerDuty } from '../../src/actions/pagerduty.js';
import { capturedLogger } from '../support/logging.js';
import { useMsw } from '../support/msw.js';

const server = useMsw();
const EVENTS = 'https://events.pagerduty.test/v2/enqueue';
const KEY = 'R0UT1NGKEYabcdef0123456789abcdef';

function pagerduty(answers: (() => Response)[]): unknown[] {
  const bodies: unknown[] = [];
  server.use(
    http.post(EVENTS, async ({ request }) => {
      bodies.push(await request.json());
      return answers[Math.min(bodies.length - 1, answers.length - 1)]!();
    }),
  );
  return bodies;
}

const accepted = (dedup: string) => () => HttpResponse.json({ status: 'success', message: 'Event processed', dedup_key: dedup }, { status: 202 });

describe('PagerDuty Events v2', () => {
  it('triggers with routing key, dedup key and a summary cut to 1024 characters', async () => {
    const bodies = pagerduty([accepted('inc_1')]);
    const pager = createPagerDuty({ routingKey: KEY, eventsUrl: EVENTS, logger: pino({ level: 'silent' }), backoffMs: 1 });
    const res = await pager.trigger({
      dedupKey: 'inc_1',
      summary: 'x'.repeat(2000),
      severity: 'critical',
      source: 'sre-agent',
      details: { provider: 'openai', error_rate: 0.4 },
      links: [{ href: 'http://localhost:8080/sre/proposals/p1', text: 'proposal' }],
    });
    expect(res).toEqual({ dedup_key: 'inc_1', status: 'success' });
    expect(bodies).toHaveLength(1);
    const body = bodies[0] as { payload: { summary: string } };
    expect(body).toMatchObject({
      routing_key: KEY,
      event_action: 'trigger',
      dedup_key: 'inc_1',
      payload: { source: 'sre-agent', severity: 'critical', custom_details: { provider: 'openai', error_rate: 0.4 } },
      links: [{ href: 'http://localhost:8080/sre/proposals/p1', text: 'proposal' }],
    });
    expect(body.payload.summary).toHaveLength(1024);
  });

  it('resolves by dedup key', async () => {
    const bodies = pagerduty([accepted('inc_2')]);
    await createPagerDuty({ routingKey: KEY, eventsUrl: EVENTS, logger: pino({ level: 'silent' }) }).resolve('inc_2');
    expect(bodies).toEqual([{ routing_key: KEY, event_action: 'resolve', dedup_key: 'inc_2' }]);
  });

  it('retries 429 and 5xx, then succeeds', async () => {
    const bodies = pagerduty([
      () => HttpResponse.json({ status: 'throttled' }, { status: 429 }),
      () => new HttpResponse(null, { status: 500 }),
      accepted('inc_3'),
    ]);
    const pager = createPagerDuty({ routingKey: KEY, eventsUrl: EVENTS, logger: pino({ level: 'silent' }), backoffMs: 1 });
    await expect(pager.trigger({ dedupKey: 'inc_3', summary: 's', severity: 'error', source: 'sre-agent' })).resolves.toMatchObject({ dedup_key: 'inc_3' });
    expect(bodies).toHaveLength(3);
  });

  it('does not retry a 400, and keeps the routing key out of errors and logs', async () => {
    const bodies = pagerduty([
      () => HttpResponse.json({ status: 'invalid event', message: 'Event object is invalid', errors: [`routing_key ${KEY} unknown`] }, { status: 400 }),
    ]);
    const { logger, lines } = capturedLogger();
    const pager = createPagerDuty({ routingKey: KEY, eventsUrl: EVENTS, logger, backoffMs: 1 });
    const e = await pager.trigger({ dedupKey: 'inc_4', summary: 's', severity: 'info', source: 'sre-agent' }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ExecutionError);
    expect(bodies).toHaveLength(1);
    expect((e as ExecutionError).retryable).toBe(false);
    expect((e as ExecutionError).message).toContain('answered 400');
    expect((e as ExecutionError).message).not.toContain(KEY);
    expect(lines.join('\n')).not.toContain(KEY);
  });
});

describe('log pager', () => {
  it('logs the page and answers with its dedup key, sending nothing', async () => {
    const { logger, lines } = capturedLogger();
    const pager = createLogPager(logger);
    expect(await pager.trigger({ dedupKey: 'inc_5', summary: 'openai is down', severity: 'critical', source: 'sre-agent' })).toEqual({
      dedup_key: 'inc_5',
      status: 'logged',
    });
    await pager.resolve('inc_5');
    expect(pager.pages().map((p) => [p.action, p.dedup_key])).toEqual([
      ['trigger', 'inc_5'],
      ['resolve', 'inc_5'],
    ]);
    expect(lines.join('\n')).toContain('openai is down');
  });

  it('createPager picks PagerDuty only with a routing key', () => {
    const logger = pino({ level: 'silent' });
    expect(createPager({ routingKey: KEY, eventsUrl: EVENTS }, logger).kind).toBe('pagerduty');
    expect(createPager({ eventsUrl: EVENTS }, logger).kind).toBe('log');
  });
});
