import { EVENT_TYPES } from '../../../domain/events.js';
import { html, page } from '../html.js';
import { nav } from '../pages.js';
import { INCIDENT_PAGE_ROWS, INCIDENT_STATUSES, INCIDENT_WINDOWS, type IncidentLine, type IncidentQuery } from './data.js';
import { incidentState } from './overview.js';
import type { PolicyView } from './parts.js';
import { timeAgo } from './time.js';

/** The incidents list, filtered by status, event type and how recently each was seen. */

export function incidentsPage(o: { user: string; csrf: string; now: Date; policy: PolicyView; query: IncidentQuery; lines: IncidentLine[]; problems: string[] }): string {
  const q = o.query;
  const select = (name: keyof IncidentQuery, label: string, values: readonly string[]) =>
    html`<label>${label}<select name="${name}">${values.map((v) => html`<option value="${v}"${v === q[name] ? html` selected` : ''}>${v}</option>`)}</select></label>`;
  return page(
    'Incidents',
    html`<h1>Incidents <span class="count">${o.lines.length}${o.lines.length === INCIDENT_PAGE_ROWS ? '+' : ''}</span></h1>
${o.problems.length ? html`<div class="card error" role="alert"><p>Nothing was filtered:</p><ul>${o.problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : ''}
<form method="get" action="/sre/incidents" class="card filters">
${select('status', 'Status', INCIDENT_STATUSES)}${select('type', 'Type', ['all', ...EVENT_TYPES])}${select('since', 'Seen within', Object.keys(INCIDENT_WINDOWS))}
<button type="submit">Filter</button> <a href="/sre/incidents">Clear</a></form>
${o.lines.length === 0 ? html`<p class="card calm">No incidents match.</p>` : html`<div class="scroll card flush"><table class="incidents-table"><thead><tr><th scope="col">incident</th><th scope="col">status</th><th scope="col">events</th><th scope="col">first seen</th><th scope="col">last seen</th><th scope="col">proposal</th></tr></thead><tbody>
${o.lines.map(
  (l) => html`<tr data-incident="${l.incident.id}"><td><strong>${l.incident.type}</strong> on <strong>${l.incident.subject}</strong><br><a class="meta" href="/sre/audit?incident=${encodeURIComponent(l.incident.id)}">${l.incident.id}</a> · <a class="meta" href="/sre/incidents/${encodeURIComponent(l.incident.id)}/report">Report</a></td>
<td data-label="status">${l.incident.status}</td><td data-label="events">${l.incident.eventCount}</td><td data-label="first seen">${timeAgo(l.incident.firstSeen, o.now)}</td><td data-label="last seen">${timeAgo(l.incident.lastSeen, o.now)}</td><td>${incidentState(l, o.now, o.policy)}</td></tr>`,
)}</tbody></table></div>`}`,
    { nav: nav(o.user, o.csrf, '/sre/incidents') },
  );
}
