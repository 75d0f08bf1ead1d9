import { matcherText, MATCHER_KEYS, silenceLine } from '../../../domain/silences.js';
import type { SilenceView } from '../../../silences/index.js';
import { html, page, type Html } from '../html.js';
import { nav } from '../pages.js';
import { personName } from './parts.js';

/** The silences page: a form to make one (or a weekly window), the active list with an End button each, the windows' next occurrence. */

export interface SilencesPageOptions {
  user: string;
  csrf: string;
  now: Date;
  /** The operators' zone (SRE_TIMEZONE): weekly windows are read in it. */
  timeZone: string;
  silences: readonly SilenceView[];
  notice?: string;
  error?: string;
  /** What was typed, shown again after an error. */
  form?: Record<string, string>;
}

const zoned = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));

function when(s: SilenceView, o: SilencesPageOptions): Html {
  if (s.schedule) {
    const next = s.next ? html`${s.active ? 'now, until' : 'next'} <time datetime="${s.active ? s.next.ends_at : s.next.starts_at}">${zoned(s.active ? s.next.ends_at : s.next.starts_at, o.timeZone)}</time>${s.active ? '' : html` – ${zoned(s.next.ends_at, o.timeZone)}`}` : '';
    return html`every <strong>${s.schedule}</strong> (${o.timeZone}) · ${next}`;
  }
  if (s.active && s.ends_at) return html`${silenceLine({ until: new Date(s.ends_at), by: personName(s.created_by), reason: s.reason }, o.now, 'UTC')} <span class="meta">(UTC)</span>`;
  return html`from <time datetime="${s.starts_at}">${s.starts_at}</time> until <time datetime="${s.ends_at ?? ''}">${s.ends_at ?? '?'}</time>`;
}

function row(s: SilenceView, o: SilencesPageOptions): Html {
  const end =
    s.source === 'api'
      ? html`<form method="post" action="/sre/silences/${encodeURIComponent(s.id)}/end"><input type="hidden" name="csrf" value="${o.csrf}"><button type="submit" class="reject" aria-label="End silence ${s.id}">End</button></form>`
      : html`<span class="meta">SRE_MAINTENANCE</span>`;
  return html`<tr data-silence="${s.id}"><td><code>${s.id}</code></td><td><code>${matcherText(s.matchers)}</code></td><td>${when(s, o)}</td><td>${s.active ? html`<strong>active</strong>` : 'not now'}</td><td>${personName(s.created_by)}: ${s.reason}</td><td>${end}</td></tr>`;
}

export function silencesPage(o: SilencesPageOptions): string {
  const f = o.form ?? {};
  const list = o.silences;
  return page(
    'Silences',
    html`${o.notice ? html`<div class="card ok" role="status">${o.notice}</div>` : ''}${o.error ? html`<div class="card error" role="alert">${o.error}</div>` : ''}
<section class="card" aria-labelledby="h-list"><h1 id="h-list">Silences</h1>
<p class="meta">While a silence matches, events are still stored and audited, but the incident opens no proposal, pages nobody and executes nothing; when it ends, the incident proceeds.</p>
${list.length === 0 ? html`<p>No silences and no maintenance windows.</p>` : html`<div class="scroll"><table><thead><tr><th>id</th><th>matchers</th><th>when</th><th>state</th><th>by, why</th><th></th></tr></thead><tbody>${list.map((s) => row(s, o))}</tbody></table></div>`}
</section>
<section class="card" aria-labelledby="h-new"><h2 id="h-new">New silence</h2>
<form method="post" action="/sre/silences" class="filters"><input type="hidden" name="csrf" value="${o.csrf}">
<label>Matchers <input type="text" name="matchers" required value="${f.matchers ?? ''}" placeholder="provider=openai type=provider.*" aria-describedby="matchers-help"></label>
<label>For <input type="text" name="for" value="${f.for ?? '2h'}" size="6" placeholder="2h"></label>
<label>Or weekly <input type="text" name="schedule" value="${f.schedule ?? ''}" placeholder="sun 02:00-04:00"></label>
<label>Reason <input type="text" name="reason" required value="${f.reason ?? ''}" placeholder="migration"></label>
<button type="submit" class="approve">Silence</button></form>
<p class="meta" id="matchers-help">Keys: ${MATCHER_KEYS.join(', ')}; a value ending in <code>*</code> matches by prefix. At most 7 days; a weekly window (${o.timeZone}) runs until ended.</p>
</section>`,
    { nav: nav(o.user, o.csrf, '/sre/silences') },
  );
}
