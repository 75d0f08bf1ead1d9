import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Chromium for the browser tests without apt or a browser download: Debian's /usr/bin/chromium
 * when present, else the one shipped inside the npm package @sparticuz/chromium (inflated into
 * the temp folder on first use). SRE_TEST_CHROMIUM=package or =system forces one of them.
 */

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
export const SCREENSHOTS = 'test-results/screenshots';

export type ChromiumSource = 'system' | 'package';

export function chromiumSource(choice = process.env.SRE_TEST_CHROMIUM ?? '', systemPath = SYSTEM_CHROMIUM): ChromiumSource {
  if (choice === 'package' || choice === 'system') return choice;
  if (choice !== '') throw new Error(`SRE_TEST_CHROMIUM: expected "package" or "system", got "${choice}"`);
  return existsSync(systemPath) ? 'system' : 'package';
}

export async function chromiumPath(source: ChromiumSource): Promise<string> {
  if (source === 'system') {
    if (!existsSync(SYSTEM_CHROMIUM)) throw new Error(`SRE_TEST_CHROMIUM=system, but ${SYSTEM_CHROMIUM} is not installed`);
    return SYSTEM_CHROMIUM;
  }
  const { default: packaged } = await import('@sparticuz/chromium');
  return packaged.executablePath();
}

export async function launchChromium(source = chromiumSource()): Promise<{ browser: Browser; source: ChromiumSource; executablePath: string }> {
  const executablePath = await chromiumPath(source);
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS });
  return { browser, source, executablePath };
}

/** The whole page, and the first screen alone (what a person sees before scrolling). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  await page.screenshot({ path: `${SCREENSHOTS}/${name}-first-screen.png` });
  return path;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; html: string }[];
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

/** Runs axe-core inside the page (injected from the npm package, nothing fetched) and returns its violations. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // The console's CSP forbids page scripts; Playwright's evaluate runs in its own world regardless.
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, html: n.html })) }));
  });
}

/** The violations that fail a test: serious and critical ones. */
export function blocking(violations: AxeViolation[]): AxeViolation[] {
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
