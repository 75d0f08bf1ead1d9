import type { ServerResponse } from 'node:http';
import type { ServiceDeps } from '../../../proposals/types.js';
import { sendHtml } from '../http.js';
import { messagePage, nav } from '../pages.js';
import { incidentQueryFrom, loadIncidents, loadOverview, loadProposal, notPaused, type PauseState } from './data.js';
import { incidentsPage } from './incidents.js';
import { overviewPage } from './overview.js';
import type { PolicyView } from './parts.js';
import { proposalPage } from './proposal.js';

/** The SRE Agent pages (overview, incidents, one proposal): read-only routes the console mounts. */

export interface PagesOptions {
  deps: ServiceDeps;
  publicBaseUrl: string;
  /** The kill switch's state; until it exists, "not paused". */
  pauseState?: () => Promise<PauseState>;
}

export interface Viewer {
  user: string;
  csrf: string;
  head: boolean;
}

const NOTICES: Record<string, string> = { approved: 'Approved.', rejected: 'Rejected.' };
const PROPOSAL_PATH = /^\/sre\/proposals\/([A-Za-z0-9_-]{1,100})$/;

export function createPages(o: PagesOptions) {
  const { deps } = o;
  const pauseState = o.pauseState ?? notPaused;
  const policy = (): PolicyView => ({ threshold: deps.policy.riskThreshold, autoApprove: deps.policy.autoApprove, twoPersonScore: deps.policy.twoPersonScore, mode: deps.policy.mode });

  async function proposal(res: ServerResponse, v: Viewer, id: string, extra: { notice?: string; error?: string; status?: number } = {}): Promise<void> {
    const data = await loadProposal(deps, o.publicBaseUrl, id);
    if (!data) return sendHtml(res, 404, messagePage('Not found', `No proposal ${id}.`, 'error', nav(v.user, v.csrf)), { head: v.head });
    sendHtml(res, extra.status ?? 200, proposalPage({ user: v.user, csrf: v.csrf, now: deps.now(), policy: policy(), data, notice: extra.notice, error: extra.error }), { head: v.head });
  }

  /** Serves GET and HEAD of the pages it owns; false for any other path. */
  async function serve(res: ServerResponse, path: string, url: URL, v: Viewer): Promise<boolean> {
    const now = deps.now();
    if (path === '/sre') {
      const [data, pause] = await Promise.all([loadOverview(deps, o.publicBaseUrl, now), pauseState()]);
      sendHtml(res, 200, overviewPage({ user: v.user, csrf: v.csrf, now, policy: policy(), pause, data }), { head: v.head });
      return true;
    }
    if (path === '/sre/incidents') {
      const { query, problems } = incidentQueryFrom(url);
      const lines = problems.length ? [] : await loadIncidents(deps.db, query, now);
      sendHtml(res, problems.length ? 400 : 200, incidentsPage({ user: v.user, csrf: v.csrf, now, policy: policy(), query, lines, problems }), { head: v.head });
      return true;
    }
    const m = PROPOSAL_PATH.exec(path);
    if (m) {
      await proposal(res, v, m[1]!, { notice: NOTICES[url.searchParams.get('done') ?? ''] });
      return true;
    }
    return false;
  }

  return { serve, proposal };
}

export type Pages = ReturnType<typeof createPages>;
