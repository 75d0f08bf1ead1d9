import { traceLink } from '../../../telemetry/index.js';
import type { ServerResponse } from 'node:http';
import { loadIncidents, loadOverview, loadProposal, type ServiceDeps } from '../../../proposals/index.js';
import type { KillSwitchPanel } from '../kill-switch.js';
import { sendHtml } from '../http.js';
import { messagePage, nav } from '../pages.js';
import { incidentQueryFrom, notPaused, type PauseState } from './data.js';
import { incidentsPage } from './incidents.js';
import { overviewPage } from './overview.js';
import type { PolicyView } from './parts.js';
import { proposalPage } from './proposal.js';

/** The SRE Agent pages (overview, incidents, one proposal): read-only routes the console mounts. */

export interface PagesOptions {
  deps: ServiceDeps;
  publicBaseUrl: string;
  /** The kill switch's state; unset, "not paused" (pages rendered without the agent's database). */
  pauseState?: () => Promise<PauseState>;
  /** The kill switch's banner or form for a viewer's CSRF token (kill-switch.ts); the pages place it. */
  killSwitch?: (csrf: string) => Promise<KillSwitchPanel>;
  /** SRE_TRACE_URL (see ConsoleOptions). */
  traceUrl?: string | undefined;
}

export interface Viewer {
  user: string;
  csrf: string;
  head: boolean;
}

const NOTICES: Record<string, string> = {
  approved: 'Approved.',
  rejected: 'Rejected.',
  recorded: 'Your approval is recorded; a second person must approve before it executes.',
  paused: 'Paused: nothing executes until resumed.',
  resumed: 'Resumed.',
  reverted: 'Reverted.',
};

/** The notice a page shows after a redirect (`?done=approved`, …). */
export const noticeOf = (url: URL): string | undefined => NOTICES[url.searchParams.get('done') ?? ''];

export function createPages(o: PagesOptions) {
  const { deps } = o;
  /** The read models build links as a console at PUBLIC_BASE_URL (without its trailing slash). */
  const reading = { ...deps, publicBaseUrl: o.publicBaseUrl };
  const pauseState = o.pauseState ?? notPaused;
  const policy = (): PolicyView => ({ threshold: deps.policy.riskThreshold, autoApprove: deps.policy.autoApprove, twoPersonScore: deps.policy.twoPersonScore, mode: deps.policy.mode });

  /** GET /sre/proposals/:id, and the same page again after a refused decision (with its status and error). */
  async function proposal(res: ServerResponse, v: Viewer, id: string, extra: { notice?: string; error?: string; status?: number } = {}): Promise<void> {
    const [data, banner] = await Promise.all([loadProposal(reading, { id }), o.killSwitch?.(v.csrf)]);
    if (!data) return sendHtml(res, 404, messagePage('Not found', `No proposal ${id}.`, 'error', nav(v.user, v.csrf)), { head: v.head });
    sendHtml(res, extra.status ?? 200, proposalPage({ user: v.user, csrf: v.csrf, now: deps.clock.now(), policy: policy(), data, notice: extra.notice, error: extra.error, banner, traceLink: traceLink(o.traceUrl, data.traceId) }), { head: v.head });
  }

  /** GET /sre: what waits for a decision, the day so far, the kill switch. */
  async function overview(res: ServerResponse, url: URL, v: Viewer): Promise<void> {
    const now = deps.clock.now();
    const [data, pause, banner] = await Promise.all([loadOverview(reading, { now }), pauseState(), o.killSwitch?.(v.csrf)]);
    sendHtml(res, 200, overviewPage({ user: v.user, csrf: v.csrf, now, policy: policy(), pause, data, banner, notice: noticeOf(url) }), { head: v.head });
  }

  /** GET /sre/incidents?status=…&type=…&since=…: 400 with every problem when a filter is wrong. */
  async function incidents(res: ServerResponse, url: URL, v: Viewer): Promise<void> {
    const now = deps.clock.now();
    const { query, problems } = incidentQueryFrom(url);
    const lines = problems.length ? [] : await loadIncidents(deps, { query, now });
    sendHtml(res, problems.length ? 400 : 200, incidentsPage({ user: v.user, csrf: v.csrf, now, policy: policy(), query, lines, problems }), { head: v.head });
  }

  return { overview, incidents, proposal };
}

export type Pages = ReturnType<typeof createPages>;
