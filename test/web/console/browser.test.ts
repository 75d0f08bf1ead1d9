import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../../../src/audit/append.js';
import { schema } from '../../../src/db/client.js';
import { issueDecisionLinks } from '../../../src/notify/links.js';
import type { ServiceDeps } from '../../../src/proposals/types.js';
import { createConsole, type Console } from '../../../src/web/console/index.js';
import { createWebServer } from '../../../src/web/server.js';
import { makeDeps, seedPending, silent, type Seeded } from '../../notify/fixtures.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';

const SHOTS = 'test-results/screenshots';
const TOKEN = 'alice-browser-token-0123456789';
const LINK_SECRET = 'browser-link-secret-0123456789';
const XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

/** Real Chromium against the agent's HTTP server with the console mounted (Debian's chromium; .ci/run installs it). */
describe('console in Chromium', { timeout: 90_000 }, () => {
  let d: TestDatabase;
  let deps: ServiceDeps;
  let browser: Browser;
  let base = '';
  let close: () => Promise<void>;
  let first: Seeded;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    d = await freshPostgres();
    const mounted: { console?: Console } = {};
    const server = createWebServer({
      deps: makeDeps(d.db),
      logger: silent,
      ingestToken: undefined,
      apiTokens: [{ name: 'alice', token: TOKEN }],
      ready: async () => ({ ok: true, checks: {} }),
      routes: [(req, res, url) => mounted.console!.handle(req, res, url)],
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    deps = makeDeps(d.db, { publicBaseUrl: base });
    mounted.console = createConsole({ deps, apiTokens: [{ name: 'alice', token: TOKEN }], sessionSecret: 'browser-session-secret', publicBaseUrl: base, linkSecret: LINK_SECRET });
    close = () => new Promise((r) => server.close(() => r()));
    first = await seedPending(d.db, { reasoning: `Error rate 42 %. Payload said: ${XSS}`, subject: `openai ${XSS}` });
    await d.db.transaction((tx) =>
      appendAudit(
        tx,
        {
          kind: 'incident.opened',
          actor: { type: 'system', name: 'ingest' },
          incidentId: first.incidentId,
          payload: { key: 'provider:openai', type: 'provider.unhealthy', subject: 'openai', first_event: { id: 'evt_1', type: 'provider.unhealthy', note: XSS } },
        },
        { kind: 'proposal.created', actor: { type: 'system', name: 'agent' }, incidentId: first.incidentId, proposalId: first.proposalId, payload: { action: 'circuit_break_provider', params: {}, reasoning: XSS, reasoner: 'playbook' } },
      ),
    );
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  afterAll(async () => {
    await browser?.close();
    await close?.();
    await d?.dispose();
  });

  const pwned = (page: Page) => page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned);

  it('signs in, shows the pending proposal with untrusted text as text, approves it and shows the timeline and result', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const page = await ctx.newPage();
    await page.goto(`${base}/sre`);
    expect(new URL(page.url()).pathname).toBe('/sre/login');
    await page.screenshot({ path: `${SHOTS}/01-sign-in.png`, fullPage: true });
    await page.fill('input[name=token]', TOKEN);
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${base}/sre`);

    const card = page.locator(`article[data-proposal="${first.proposalId}"]`);
    await expect(card.locator('h2').innerText()).resolves.toContain('circuit_break_provider on provider:openai');
    await expect(card.innerText()).resolves.toContain('risk 55/100');
    await expect(card.locator('.pre').innerText()).resolves.toContain(XSS);
    expect(await pwned(page)).toBeUndefined();
    await page.screenshot({ path: `${SHOTS}/02-pending-phone.png`, fullPage: true });

    await card.locator('input[name=reason]').fill('error rate confirmed on the dashboard');
    await card.locator('button:has-text("Approve")').click();
    await page.waitForURL(/\/sre\/proposals\/.+\?done=approved$/);
    await expect(page.locator('[role=status]').innerText()).resolves.toContain('Approved.');
    const status = await page.locator('article .status').innerText();
    expect(['approved', 'executing', 'succeeded']).toContain(status);
    await expect(page.locator('article').innerText()).resolves.toContain('Decided by alice via console');
    const kinds = await page.locator('ul.timeline li strong').allInnerTexts();
    expect(kinds.slice(0, 3)).toEqual(['incident.opened', 'proposal.created', 'proposal.approved']);
    expect(kinds).toContain('execution.succeeded');
    await expect(page.locator('details:has(summary:has-text("Result"))').innerText()).resolves.toBeTruthy();
    expect(await pwned(page)).toBeUndefined();
    await page.screenshot({ path: `${SHOTS}/03-proposal-timeline.png`, fullPage: true });

    const [row] = await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, first.proposalId));
    expect(row).toMatchObject({ status: 'succeeded', decidedBy: 'alice', decisionReason: 'error rate confirmed on the dashboard' });

    // The audit log, filtered, and the CSV of exactly those rows.
    await ctx.close();
    const wide = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const p2 = await wide.newPage();
    await p2.goto(`${base}/sre/login`);
    await p2.fill('input[name=token]', TOKEN);
    await p2.click('button:has-text("Sign in")');
    await p2.goto(`${base}/sre/audit`);
    await p2.fill('input[name=kind]', 'proposal.approved');
    await p2.fill('input[name=actor]', 'alice');
    await p2.click('button:has-text("Filter")');
    await p2.waitForURL(/kind=proposal\.approved/);
    const shownKinds = await p2.locator('tbody tr td:nth-child(4)').allInnerTexts();
    expect(shownKinds).toEqual(['proposal.approved']);
    await p2.screenshot({ path: `${SHOTS}/04-audit-filtered.png`, fullPage: true });
    const [download] = await Promise.all([p2.waitForEvent('download'), p2.click('a:has-text("Export these rows as CSV")')]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split(/\r?\n/);
    expect(csv[0]).toBe('seq,occurred_at,source,kind,actor_type,actor,incident_id,proposal_id,payload,prev_hash,hash');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain(',proposal.approved,user,alice,');
    await wide.close();
  });

  it('an email link opens a confirmation page that decides only when the person presses the button', async () => {
    const s = await seedPending(d.db, { provider: 'anthropic', reasoning: `Latency doubled. ${XSS}` });
    const t = await issueDecisionLinks(d.db, { linkSecret: LINK_SECRET, proposalId: s.proposalId, recipient: 'oncall@example.com', now: new Date(), ttlMs: 3_600_000 });
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    await page.goto(`${base}/sre/decide/${t.reject}`);
    await expect(page.locator('h1').first().innerText()).resolves.toBe('Reject this proposal?');
    await expect(page.locator('.pre').innerText()).resolves.toContain(XSS);
    expect(await pwned(page)).toBeUndefined();
    await page.screenshot({ path: `${SHOTS}/05-email-link-confirm.png`, fullPage: true });
    // Loading the page (as a scanner would) changed nothing.
    const [before] = await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, s.proposalId));
    expect(before!.status).toBe('pending');

    await page.fill('input[name=reason]', 'handled by the provider');
    await page.click('button.reject');
    await expect(page.locator('h1').first().innerText()).resolves.toBe('Rejected');
    await page.screenshot({ path: `${SHOTS}/06-email-link-done.png`, fullPage: true });
    const [after] = await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, s.proposalId));
    expect(after).toMatchObject({ status: 'rejected', decidedBy: 'email:oncall@example.com', decisionReason: 'handled by the provider' });

    await page.goto(`${base}/sre/decide/${t.reject}`);
    await expect(page.locator('h1').first().innerText()).resolves.toBe('This link was already used');
    await ctx.close();
  });
});
