import { systemClock } from '../../../src/clock.js';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from '../../../src/audit/append.js';
import { schema } from '../../../src/db/client.js';
import { issueDecisionLinks } from '../../../src/notify/links.js';
import type { ServiceDeps } from '../../../src/proposals/types.js';
import { createConsole, type Console } from '../../../src/web/console/index.js';
import { createWebServer } from '../../../src/web/server.js';
import { makeDeps, seedPending, silent, type Seeded } from '../../notify/fixtures.js';
import { axeViolations, blocking, chromiumPath, chromiumSource, launchChromium, screenshot, SYSTEM_CHROMIUM, type ChromiumSource } from '../../support/browser.js';
import { freshPostgres, type TestDatabase } from '../../support/db.js';
import { seedConsole, XSS, type SeededConsole } from './seed.js';

const TOKEN = 'alice-browser-token-0123456789';
const LINK_SECRET = 'browser-link-secret-0123456789';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };

/** The agent's HTTP server with the console mounted, on a fresh database. */
async function consoleServer(makeConsoleDeps: (db: TestDatabase, base: string) => ServiceDeps) {
  const d = await freshPostgres();
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
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const deps = makeConsoleDeps(d, base);
  mounted.console = createConsole({ deps, apiTokens: [{ name: 'alice', token: TOKEN }], sessionSecret: 'browser-session-secret', publicBaseUrl: base, linkSecret: LINK_SECRET });
  return { d, deps, base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function signIn(page: Page, base: string, next = '/sre') {
  await page.goto(`${base}/sre/login?next=${encodeURIComponent(next)}`);
  await page.fill('input[name=token]', TOKEN);
  await page.click('button:has-text("Sign in")');
  await page.waitForURL(`${base}${next}`);
}

const pwned = (page: Page) => page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned);
const overflowX = (page: Page) => page.evaluate(() => {
  const el = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
  return el.scrollWidth - el.clientWidth;
});

let browser: Browser;
let source: ChromiumSource;

beforeAll(async () => {
  ({ browser, source } = await launchChromium());
}, 120_000);
afterAll(async () => {
  await browser?.close();
});

describe('finding a Chromium', () => {
  it('prefers the system binary, falls back to the npm package, and says what is wrong with a bad choice', async () => {
    expect(chromiumSource('', '/nonexistent/chromium')).toBe('package');
    expect(chromiumSource('', process.execPath)).toBe('system');
    expect(chromiumSource('package', process.execPath)).toBe('package');
    expect(() => chromiumSource('firefox')).toThrow(/SRE_TEST_CHROMIUM: expected "package" or "system", got "firefox"/);
    expect(source).toBe(process.env.SRE_TEST_CHROMIUM || (existsSync(SYSTEM_CHROMIUM) ? 'system' : 'package'));
  });

  it('the Chromium inside @sparticuz/chromium starts and renders a page, whatever the system has', { timeout: 120_000 }, async () => {
    const path = await chromiumPath('package');
    expect(existsSync(path)).toBe(true);
    const own = source === 'package' ? { browser } : await launchChromium('package');
    try {
      const page = await own.browser.newPage();
      await page.setContent('<h1>risk 82/100 — “calm”</h1>');
      expect(await page.locator('h1').innerText()).toBe('risk 82/100 — “calm”');
      await page.close();
    } finally {
      if (own.browser !== browser) await own.browser.close();
    }
  });
});

describe('the SRE Agent page in Chromium', { timeout: 120_000 }, () => {
  let srv: Awaited<ReturnType<typeof consoleServer>>;
  let seeded: SeededConsole;
  const contexts: BrowserContext[] = [];

  // Only reads here, no decision and no risk scoring: the clock is the database's, as in production.
  beforeAll(async () => {
    srv = await consoleServer((d) => makeDeps(d.db, { clock: systemClock, policy: { riskThreshold: 40, autoApprove: true, timeZone: 'UTC', criticalTeams: [], mode: 'live', twoPersonScore: 75 } }));
    seeded = await seedConsole(srv.d.db, new Date());
    await srv.d.db.insert(schema.outbox).values({ channel: 'webhook', kind: 'proposal.created', incidentId: seeded.ids.groq!.incidentId, proposalId: seeded.ids.groq!.proposalId, payload: {}, status: 'dead', attempts: 8, lastError: 'webhook 0 answered 410' });
  }, 120_000);
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await srv?.close();
    await srv?.d.dispose();
  });

  async function open(viewport: { width: number; height: number }, path: string): Promise<Page> {
    const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    contexts.push(ctx);
    const page = await ctx.newPage();
    await signIn(page, srv.base, path);
    return page;
  }

  async function checkA11y(page: Page) {
    const serious = blocking(await axeViolations(page));
    expect(serious.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }

  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    it(`overview at ${name} width: the decision with the highest risk first, the day in figures, untrusted text as text, no serious axe violation`, async () => {
      const page = await open(viewport, '/sre');
      const cards = page.locator('article.decision');
      expect(await cards.count()).toBe(2);
      expect(await cards.nth(0).getAttribute('data-proposal')).toBe(seeded.ids.openai!.proposalId);
      expect(await cards.nth(1).getAttribute('data-proposal')).toBe(seeded.ids.anthropic!.proposalId);
      const top = await cards.nth(0).innerText();
      expect(top).toContain('risk 82/100');
      expect(top).toMatch(/\d+ min left/);
      expect(top).toContain('Approvals: 0 of 2');
      expect(await cards.nth(1).innerText()).toContain('Shadow mode');
      expect(await cards.nth(1).locator('.reasoning').innerText()).toContain(XSS);
      expect(await page.locator(`[data-incident="${seeded.ids.reasoning!.incidentId}"]`).innerText()).toMatch(/reasoning, \d+ (s|min) so far/);
      const day = await page.locator('section[aria-labelledby=h-day]').innerText();
      expect(day).toMatch(/Auto-executed\s+1/);
      expect(day).toMatch(/Slack\s+1\s+0/);
      expect(day).toMatch(/Console\s+0\s+1/);
      expect(await page.locator('.strip').innerText()).toContain('running');
      expect(await page.locator('[role=alert]').innerText()).toContain('1 notification could not be delivered');
      const left = page.locator('article.decision time').first();
      expect(await left.getAttribute('title')).toMatch(/^expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      expect(await pwned(page)).toBeUndefined();
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      await screenshot(page, `sre-overview-${name}`);
      await checkA11y(page);
    });

    it(`proposal page at ${name} width: the risk drawn as a chart, the timeline in words, the raw row behind a disclosure`, async () => {
      const page = await open(viewport, `/sre/proposals/${seeded.ids.mistral!.proposalId}`);
      const rows = page.locator('.risk-chart .factor');
      expect(await rows.count()).toBe(3);
      expect(await rows.locator('svg rect').count()).toBe(3);
      expect(await page.locator('.risk-chart .total').innerText()).toContain('above the auto-approve threshold (40)');
      const lines = await page.locator('ol.timeline li .what').allInnerTexts();
      expect(lines).toContain('alice approved in Slack — “confirmed on the status page”');
      expect(lines.some((l) => /^admin-api answered 200 in \d+ ms$/.test(l))).toBe(true);
      expect(lines).toContain('breaker restored: the provider is back in rotation');
      expect(lines).toContain('U0MALLORY was not allowed to decide: not in SRE_APPROVERS');
      expect(lines).toContain('bob tried to approve, but it was already executing by alice');
      const raw = page.locator('ol.timeline li[data-kind="proposal.approved"] details.raw');
      expect(await raw.getAttribute('open')).toBeNull();
      expect(await page.locator('ol.timeline li time').first().getAttribute('title')).toMatch(/ UTC$/);
      expect(await page.locator('.note.v-passed').innerText()).toContain('Verification: passed — error rate back under 2 %');
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      await screenshot(page, `sre-proposal-${name}`);
      await checkA11y(page);

      // Keyboard only: Tab reaches the disclosure, Enter opens it, the raw row shows.
      await page.locator('body').focus();
      let found = false;
      for (let i = 0; i < 80 && !found; i++) {
        await page.keyboard.press('Tab');
        found = await page.evaluate(() => {
          const el = (globalThis as unknown as { document: { activeElement: { closest(s: string): { getAttribute(n: string): string | null } | null } | null } }).document.activeElement;
          return el?.closest('li[data-kind="proposal.approved"]') !== null && el?.closest('li[data-kind="proposal.approved"]') !== undefined;
        });
      }
      expect(found).toBe(true);
      await page.keyboard.press('Enter');
      expect(await raw.getAttribute('open')).not.toBeNull();
      expect(await raw.locator('pre').innerText()).toContain('"kind": "proposal.approved"');
    });
  }

  it('a pending proposal at phone width: the decision form first, reachable by keyboard, hostile text inert', async () => {
    const page = await open(PHONE, `/sre/proposals/${seeded.ids.anthropic!.proposalId}`);
    expect(await page.locator('h1').innerText()).toBe('Move claude from anthropic to bedrock');
    expect(await page.locator('article .reasoning').innerText()).toContain(XSS);
    expect(await page.locator('article .meta').nth(1).innerText()).toContain(`anthropic ${XSS}`);
    const thread = await page.locator('ol.timeline li[data-kind="thread.message"] .what').innerText();
    expect(thread).toBe(`alice in the thread: “is bedrock warm? ${XSS}”`);
    expect(await pwned(page)).toBeUndefined();
    await page.locator('body').focus();
    const focused: string[] = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate(() => {
        const el = (globalThis as unknown as { document: { activeElement: { tagName: string; textContent: string | null; getAttribute(n: string): string | null } | null } }).document.activeElement;
        return `${el?.tagName ?? ''}:${el?.getAttribute('name') ?? ''}:${(el?.textContent ?? '').trim().slice(0, 20)}`;
      }));
    }
    const reason = focused.indexOf('INPUT:reason:');
    expect(reason).toBeGreaterThan(0);
    // The seeded proposal is a shadow one: its buttons say what the person would do.
    expect(focused.slice(reason + 1, reason + 3)).toEqual(['BUTTON:decision:Would approve', 'BUTTON:decision:Would reject']);
    expect(await overflowX(page)).toBeLessThanOrEqual(0);
    await screenshot(page, 'sre-proposal-pending-phone');
    await checkA11y(page);
  });

  it('the incidents list filters by status and type, and says what is wrong with a bad filter', async () => {
    const page = await open(DESKTOP, '/sre/incidents');
    expect(await page.locator('tbody tr').count()).toBe(8);
    await page.selectOption('select[name=status]', 'open');
    await page.selectOption('select[name=type]', 'provider.unhealthy');
    await page.click('button:has-text("Filter")');
    await page.waitForURL(/status=open&type=provider\.unhealthy/);
    const shown = await page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as unknown as { getAttribute(n: string): string }).getAttribute('data-incident')));
    expect(shown.sort()).toEqual([seeded.ids.openai!.incidentId, seeded.ids.groq!.incidentId].sort());
    await screenshot(page, 'sre-incidents-desktop');
    await checkA11y(page);
    await page.goto(`${srv.base}/sre/incidents?since=forever`);
    expect(await page.locator('[role=alert]').innerText()).toContain('Time must be one of 1h, 24h, 7d, 30d, all.');
    const phone = await open(PHONE, '/sre/incidents?status=all&since=all');
    await screenshot(phone, 'sre-incidents-phone');
    await checkA11y(phone);
  });
});

describe('console decisions in Chromium', { timeout: 120_000 }, () => {
  let srv: Awaited<ReturnType<typeof consoleServer>>;
  let first: Seeded;

  beforeAll(async () => {
    srv = await consoleServer((d, base) => makeDeps(d.db, { publicBaseUrl: base }));
    first = await seedPending(srv.d.db, { reasoning: `Error rate 42 %. Payload said: ${XSS}`, subject: `openai ${XSS}` });
    await srv.d.db.transaction((tx) =>
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
  }, 120_000);
  afterAll(async () => {
    await srv?.close();
    await srv?.d.dispose();
  });

  it('signs in, shows the pending proposal with untrusted text as text, approves it and shows the timeline and result', async () => {
    const { base, d } = srv;
    const ctx = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 });
    const page = await ctx.newPage();
    await page.goto(`${base}/sre`);
    expect(new URL(page.url()).pathname).toBe('/sre/login');
    await screenshot(page, '01-sign-in');
    await page.fill('input[name=token]', TOKEN);
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${base}/sre`);

    const card = page.locator(`article[data-proposal="${first.proposalId}"]`);
    await expect(card.locator('h2').innerText()).resolves.toContain("Break openai's circuit for 2 min");
    await expect(card.innerText()).resolves.toContain('risk 55/100');
    await expect(card.locator('.pre').innerText()).resolves.toContain(XSS);
    expect(await pwned(page)).toBeUndefined();
    await screenshot(page, '02-pending-phone');

    await card.locator('input[name=reason]').fill('error rate confirmed on the dashboard');
    await card.locator('button:has-text("Approve")').click();
    await page.waitForURL(/\/sre\/proposals\/.+\?done=approved$/);
    await expect(page.locator('[role=status]').innerText()).resolves.toContain('Approved.');
    const status = await page.locator('article .status').first().innerText();
    expect(['approved', 'executing', 'succeeded']).toContain(status);
    await expect(page.locator('article').first().innerText()).resolves.toContain('Approved by alice in the console');
    const kinds = await page.locator('ol.timeline li').evaluateAll((lis) => lis.map((li) => (li as unknown as { getAttribute(n: string): string }).getAttribute('data-kind')));
    expect(kinds.slice(0, 3)).toEqual(['incident.opened', 'proposal.created', 'proposal.approved']);
    expect(kinds).toContain('execution.succeeded');
    const words = await page.locator('ol.timeline li .what').allInnerTexts();
    expect(words).toContain('alice approved in the console — “error rate confirmed on the dashboard”');
    await expect(page.locator('details:has(summary:has-text("Result"))').innerText()).resolves.toBeTruthy();
    expect(await pwned(page)).toBeUndefined();
    await screenshot(page, '03-proposal-timeline');

    const [row] = await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, first.proposalId));
    expect(row).toMatchObject({ status: 'succeeded', decidedBy: 'alice', decisionReason: 'error rate confirmed on the dashboard' });

    // The audit log, filtered, and the CSV of exactly those rows.
    await ctx.close();
    const wide = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    const p2 = await wide.newPage();
    await signIn(p2, base, '/sre/audit');
    await p2.fill('input[name=kind]', 'proposal.approved');
    await p2.fill('input[name=actor]', 'alice');
    await p2.click('button:has-text("Filter")');
    await p2.waitForURL(/kind=proposal\.approved/);
    const shownKinds = await p2.locator('tbody tr td:nth-child(4)').allInnerTexts();
    expect(shownKinds).toEqual(['proposal.approved']);
    await screenshot(p2, '04-audit-filtered');
    const [download] = await Promise.all([p2.waitForEvent('download'), p2.click('a:has-text("Export these rows as CSV")')]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split(/\r?\n/);
    expect(csv[0]).toBe('seq,occurred_at,source,kind,actor_type,actor,incident_id,proposal_id,payload,prev_hash,hash');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain(',proposal.approved,user,alice,');
    await wide.close();
  });

  it('an email link opens a confirmation page that decides only when the person presses the button', async () => {
    const { base, d } = srv;
    const s = await seedPending(d.db, { provider: 'anthropic', reasoning: `Latency doubled. ${XSS}` });
    const t = await issueDecisionLinks(d.db, { linkSecret: LINK_SECRET, proposalId: s.proposalId, recipient: 'oncall@example.com', now: new Date(), ttlMs: 3_600_000 });
    const ctx = await browser.newContext({ viewport: PHONE });
    const page = await ctx.newPage();
    await page.goto(`${base}/sre/decide/${t.reject}`);
    await expect(page.locator('h1').first().innerText()).resolves.toBe('Reject this proposal?');
    await expect(page.locator('.pre').innerText()).resolves.toContain(XSS);
    expect(await pwned(page)).toBeUndefined();
    await screenshot(page, '05-email-link-confirm');
    // Loading the page (as a scanner would) changed nothing.
    const [before] = await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, s.proposalId));
    expect(before!.status).toBe('pending');

    await page.fill('input[name=reason]', 'handled by the provider');
    await page.click('button.reject');
    await expect(page.locator('h1').first().innerText()).resolves.toBe('Rejected');
    await screenshot(page, '06-email-link-done');
    const [after] = await d.db.select().from(schema.proposals).where(eq(schema.proposals.id, s.proposalId));
    expect(after).toMatchObject({ status: 'rejected', decidedBy: 'email:oncall@example.com', decisionReason: 'handled by the provider' });

    await page.goto(`${base}/sre/decide/${t.reject}`);
    await expect(page.locator('h1').first().innerText()).resolves.toBe('This link was already used');
    await ctx.close();
  });
});
