import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, INGEST_TOKEN, get, post, startAgent, unhealthy, type RunningAgent } from '../support/agent.js';
import { freshPostgres, type TestDatabase } from '../support/db.js';

/** Prometheus's own linter over a real scrape. .ci/run installs Debian's prometheus package for it. */
const PROMTOOL = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
// In CI (.ci/run installs it) a missing promtool is a failure, not a skip.
const RUN = PROMTOOL || process.env.CI === 'true';
const TITLE = RUN
  ? '`promtool check metrics` finds nothing wrong in a scrape of /metrics after real traffic'
  : '`promtool check metrics` over /metrics — SKIPPED: promtool is not installed (apt-get install prometheus; .ci/run does)';

if (!RUN) console.warn('test/ship/promtool.test.ts skipped: promtool is not installed (apt-get install prometheus; .ci/run does)');

describe('/metrics and promtool', () => {
  let d: TestDatabase;
  let a: RunningAgent;
  beforeAll(async () => {
    if (!RUN) return;
    d = await freshPostgres();
    a = await startAgent(d);
  });
  afterAll(async () => {
    await a?.stop();
    await d?.dispose();
  });

  it.skipIf(!RUN)(TITLE, async () => {
    expect(PROMTOOL, 'promtool is not installed: .ci/run installs Debian\'s prometheus package').toBe(true);
    // Traffic first, so labelled series (events, decisions, executions, HTTP buckets) are in the scrape.
    expect((await post(a.base, '/v1/events', unhealthy('openai', { requests: 60 }), INGEST_TOKEN)).status).toBe(202);
    await a.agent.tick();
    const p = (await get(a.base, '/v1/proposals?status=pending', ALICE)).body.proposals[0];
    expect((await post(a.base, `/v1/proposals/${p.id}/decision`, { decision: 'approve' }, ALICE)).status).toBe(200);
    await get(a.base, '/v1/report', ALICE);
    const scrape = await fetch(`${a.base}/metrics`);
    const text = await scrape.text();
    expect(text).toMatch(/^sre_decisions_total\{channel="api",decision="approve"\} 1$/m);
    expect(text).toMatch(/^sre_http_request_duration_seconds_bucket\{.*route="\/v1\/report".*\} \d+$/m);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: r.status, problems: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, problems: '' });
  });
});
