import { spoken, STEP_LABEL, type Cite, type IncidentReport, type ReportLine } from '../../domain/incident-report.js';
import { html, page, type Html } from './html.js';
import { nav } from './pages.js';
import { silencedNote } from './pages/parts.js';
import type { IncidentSilence } from '../../silences/index.js';

/** The incident report (/sre/incidents/:id/report): the same object the API answers, as a page. */


/** A citation links to the audit log at that row's incident, showing seq and hash prefix. */
const citeLink = (id: string, c: Cite) => html`<a class="meta" href="/sre/audit?incident=${encodeURIComponent(id)}" title="audit row ${c.seq}, hash ${c.hash}…">#${c.seq} ${c.hash}</a>`;

function lines(id: string, title: string, slug: string, ls: ReportLine[]): Html | string {
  if (ls.length === 0) return '';
  return html`<section class="card" aria-labelledby="h-${slug}"><h2 id="h-${slug}">${title}</h2><ol class="timeline">${ls.map(
    (l) => html`<li><span>${l.text}</span> <time datetime="${l.at}">${l.at.slice(0, 19).replace('T', ' ')} UTC</time> <span class="cites">${l.cites.map((c) => citeLink(id, c))}</span></li>`,
  )}</ol></section>`;
}

export function incidentReportPage(o: { user: string; csrf: string; report: IncidentReport; silence?: IncidentSilence | null; traceLink?: string | undefined }): string {
  const r = o.report;
  const id = r.incident.id;
  return page(
    `Report: ${r.incident.subject}`,
    html`<article class="card"><div class="head"><h1>${r.incident.type} on ${r.incident.subject}</h1></div>
<p>${r.summary}</p>
${silencedNote(o.silence, new Date(r.generated_at))}
<p class="meta">Every line cites its audit row (seq and the first 12 characters of its hash); <code>sre-agent audit verify</code> vouches for them.
<a href="/v1/incidents/${encodeURIComponent(id)}/report?format=markdown">Markdown</a> · <a href="/v1/incidents/${encodeURIComponent(id)}/report?format=json">JSON</a> (with an API token)${o.traceLink ? html` · <a href="${o.traceLink}" rel="noopener noreferrer">Trace</a>` : ''}</p>
${
  r.steps.length
    ? html`<h2>How long each step took</h2><table><thead><tr><th scope="col">step</th><th scope="col">took</th><th scope="col">audit rows</th></tr></thead><tbody>${r.steps.map(
        (d) => html`<tr><td>${STEP_LABEL[d.step]}</td><td>${spoken(d.ms)}</td><td>${citeLink(id, d.from)} → ${citeLink(id, d.to)}</td></tr>`,
      )}</tbody></table>`
    : ''
}</article>
${lines(id, 'Timeline', 'timeline', r.timeline)}${lines(id, 'Events', 'events', r.events ?? [])}${lines(id, 'Decisions', 'decisions', r.decisions)}${lines(id, 'Evidence', 'evidence', r.evidence)}${lines(id, 'Risk', 'risk', r.risk)}${lines(
      id,
      'What executed and what the gateway answered',
      'executions',
      r.executions,
    )}${lines(id, 'Brakes that applied', 'brakes', r.brakes)}${
      r.narrative
        ? html`<section class="card narrative" aria-labelledby="h-narrative"><h2 id="h-narrative">Narrative <small>(written by the model, not a record)</small></h2><blockquote>${r.narrative.text}</blockquote><p class="meta">Written by ${r.narrative.model} from the lines above; it cites nothing and <code>audit verify</code> does not vouch for it.</p></section>`
        : r.narrative_unavailable
          ? html`<section class="card narrative" aria-labelledby="h-narrative"><h2 id="h-narrative">Narrative</h2><p class="note">${r.narrative_unavailable}</p></section>`
          : html`<p><a href="/sre/incidents/${encodeURIComponent(id)}/report?narrative=1">With the model's narrative</a></p>`
    }`,
    { nav: nav(o.user, o.csrf, '/sre/incidents') },
  );
}
