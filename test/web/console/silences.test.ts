import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { schema } from '../../../src/db/client.js';
import { parseMaintenance } from '../../../src/domain/silences.js';
import { makeDeps, seedPending } from '../../notify/fixtures.js';
import { launchChromium } from '../../support/browser.js';
import { createTestClock } from '../../support/clock.js';
import { hidden } from './client.js';
import { consoleSession, TOKENS } from './session.js';

const windows = parseMaintenance('sun 02:00-04:00 provider=azure-openai');
if (!windows.ok) throw new Error(windows.problem);

/** Issue 20 in the console: /sre/silences (form, active list, End), the maintenance window's next occurrence, a held incident's entry. */
describe('console: silences', () => {
  // Saturday 28 March 2026 in Berlin, the night before the clocks go forward.
  const clock = createTestClock({ start: Date.parse('2026-03-28T12:00:00Z') });
  // The console answers only its PUBLIC_BASE_URL's host: the server's own address, known once it listens.
  const app = consoleSession({
    ownOrigin: true,
    deps: (db) => makeDeps(db, { clock, policy: { riskThreshold: 40, autoApprove: false, timeZone: 'Europe/Berlin', criticalTeams: [], mode: 'live', twoPersonScore: 75 }, maintenance: windows.value }),
  });
  const { page, postForm } = app;
  const rows = () => app.db.select().from(schema.silences);

  it('shows the window with its next occurrence (after the DST gap), makes a silence from the form, holds the incident, and ends it', async () => {
    const seeded = await seedPending(app.db);
    const list = await page('/sre/silences');
    expect(list.status).toBe(200);
    expect(list.body).toContain('aria-current="page"');
    // 29 March: 02:00 does not exist in Berlin; the window runs 03:00–04:00 CEST (01:00Z–02:00Z).
    expect(list.body).toMatch(/every <strong>sun 02:00-04:00<\/strong> \(Europe\/Berlin\) · next <time datetime="2026-03-29T01:00:00.000Z">Sun 29 Mar, 03:00<\/time> – Sun 29 Mar, 04:00/);
    const csrf = hidden(list.body, 'csrf')!;

    expect((await postForm('/sre/silences', { matchers: 'provider=openai', for: '2h', reason: 'migration' })).status).toBe(403);
    const bad: [Record<string, string>, RegExp][] = [
      [{ matchers: '', for: '2h', reason: 'x' }, /at least one matcher/],
      [{ matchers: 'region=eu', for: '2h', reason: 'x' }, /matchers\.region: unknown matcher key/],
      [{ matchers: 'provider=openai', for: '8d', reason: 'x' }, /at most 7 days ahead/],
      [{ matchers: 'provider=openai', for: 'soon', reason: 'x' }, /is not a duration/],
      [{ matchers: 'provider=openai', for: '2h', reason: '' }, /needs a reason/],
    ];
    for (const [f, problem] of bad) {
      const r = await postForm('/sre/silences', { ...f, csrf });
      expect(r.status, JSON.stringify(f)).toBe(400);
      expect(r.body).toMatch(problem);
      expect(r.body).toContain('Nothing was stored.');
    }
    expect(await rows()).toEqual([]);

    const made = await postForm('/sre/silences', { matchers: 'provider=openai', for: '2h', reason: 'migration <b>now</b>', csrf });
    expect(made.status).toBe(303);
    const [row] = await rows();
    expect(row).toMatchObject({ matchers: { provider: 'openai' }, createdBy: 'alice' });
    const after = await page('/sre/silences?done=made');
    expect(after.body).toContain('Silence made.');
    expect(after.body).toContain(`data-silence="${row!.id}"`);
    expect(after.body).toContain('silenced until 14:00 by alice: migration &lt;b&gt;now&lt;/b&gt;');
    const overview = await page('/sre/incidents');
    expect(overview.body).toContain(`data-silence="${row!.id}"`);
    expect(overview.body).toContain('silenced until 14:00 by alice: migration');
    expect(seeded.incidentId).toMatch(/^inc_/);
    // The proposal it holds and the incident's own page say the same, the proposal that it waits.
    const held = await page(`/sre/proposals/${seeded.proposalId}`);
    expect(held.body).toContain(`data-silence="${row!.id}"`);
    expect(held.body).toContain('Silenced until 14:00 by alice: migration &lt;b&gt;now&lt;/b&gt;: this proposal is held, and approving it is refused until the silence ends.');
    const report = await page(`/sre/incidents/${seeded.incidentId}/report`);
    expect(report.status).toBe(200);
    expect(report.body).toContain('Silenced until 14:00 by alice: migration &lt;b&gt;now&lt;/b&gt;.');

    expect((await postForm(`/sre/silences/${row!.id}/end`, { csrf })).status).toBe(303);
    expect((await rows())[0]).toMatchObject({ endedBy: 'alice' });
    for (const path of [`/sre/proposals/${seeded.proposalId}`, `/sre/incidents/${seeded.incidentId}/report`]) expect((await page(path)).body).not.toContain('data-silence=');
    const again = await postForm(`/sre/silences/${row!.id}/end`, { csrf });
    expect(again.status).toBe(409);
    expect(again.body).toContain('already ended by alice');
  });

  it('in Chromium: fill the form, see the silence listed, end it with its button', { timeout: 120_000 }, async () => {
    let browser: Browser | undefined;
    try {
      ({ browser } = await launchChromium());
      const b = await browser.newContext({ baseURL: app.origin });
      const p = await b.newPage();
      await p.goto('/sre/login?next=/sre/silences');
      await p.fill('input[name=token]', TOKENS[0]!.token);
      await p.click('button:has-text("Sign in")');
      await p.waitForURL('**/sre/silences');
      await p.fill('input[name=matchers]', 'type=sla.* sla_id=gold-*');
      await p.fill('input[name=for]', '90m');
      await p.fill('input[name=reason]', 'contract renewal');
      await p.click('button:has-text("Silence")');
      await p.waitForURL('**/sre/silences?done=made');
      const text = await p.textContent('main');
      expect(text).toContain('sla_id=gold-* type=sla.*');
      expect(text).toContain('silenced until 13:30 by alice: contract renewal');
      const made = (await rows()).find((r) => r.reason === 'contract renewal')!;
      await p.click(`button[aria-label="End silence ${made.id}"]`);
      await p.waitForURL('**/sre/silences?done=ended');
      expect(await p.textContent('main')).toContain('Silence ended');
    } finally {
      await browser?.close();
    }
  });
});
