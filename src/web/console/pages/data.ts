import { EVENT_TYPES } from '../../../domain/events.js';
import { INCIDENT_STATUSES, INCIDENT_WINDOWS, type IncidentQuery } from '../../../proposals/index.js';

/** What the console's SRE Agent pages need beyond the proposals' read models (which they call directly). */

export interface PauseState {
  paused: boolean;
  by?: string | null;
  reason?: string | null;
  at?: string | null;
}

/** Pages rendered without the agent's database (the console's own tests) read the kill switch as not set. */
export const notPaused = async (): Promise<PauseState> => ({ paused: false });

/** The incidents list's filters from the query string, or every problem with them. */
export function incidentQueryFrom(url: URL): { query: IncidentQuery; problems: string[] } {
  const get = (k: string, d: string) => (url.searchParams.get(k) ?? '').trim().slice(0, 100) || d;
  const query = { status: get('status', 'all'), type: get('type', 'all'), since: get('since', '7d') };
  const problems: string[] = [];
  if (!(INCIDENT_STATUSES as readonly string[]).includes(query.status)) problems.push(`Status must be one of ${INCIDENT_STATUSES.join(', ')}.`);
  if (query.type !== 'all' && !(EVENT_TYPES as readonly string[]).includes(query.type)) problems.push(`Type must be all or one of ${EVENT_TYPES.join(', ')}.`);
  if (!(query.since in INCIDENT_WINDOWS)) problems.push(`Time must be one of ${Object.keys(INCIDENT_WINDOWS).join(', ')}.`);
  return { query, problems };
}


export {
  INCIDENT_PAGE_ROWS,
  INCIDENT_STATUSES,
  INCIDENT_WINDOWS,
  type IncidentLine,
  type IncidentQuery,
  type OverviewData,
  type ProposalPageData,
} from '../../../proposals/index.js';
