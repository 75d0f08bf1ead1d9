import { formatDuration, type ThresholdRow, type TuningReport } from '../../domain/report.js';
import { RESPONSE_STEPS, type ResponseFigures } from '../../domain/response-times.js';
import { html, page, type Html } from './html.js';
import { nav } from './pages.js';

/** The tuning report page (/sre/report): the threshold table drawn as inline SVG, no script. */

const W = 640;
const H = 260;
const PAD = { left: 40, right: 12, top: 16, bottom: 36 };
const COLORS = { auto: '#8fb3de', rejected: '#cf222e', failed: '#bc4c00', current: '#1b1f24', recommended: '#1a7f37' };

function chart(rows: readonly ThresholdRow[], current: number, recommended: number | undefined): Html {
  const max = Math.max(1, ...rows.map((r) => r.would_auto_execute));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / rows.length;
  const barW = Math.max(2, (slot - 4) / 3);
  const y = (n: number) => PAD.top + plotH - (n / max) * plotH;
  const xOf = (threshold: number) => PAD.left + (threshold / 5) * slot + slot / 2;
  const bar = (x: number, n: number, color: string, label: string) =>
    html`<rect x="${x.toFixed(1)}" y="${y(n).toFixed(1)}" width="${barW.toFixed(1)}" height="${(PAD.top + plotH - y(n)).toFixed(1)}" fill="${color}"><title>${label}</title></rect>`;
  const marker = (threshold: number, color: string, label: string, dy: number) =>
    html`<line x1="${xOf(threshold).toFixed(1)}" x2="${xOf(threshold).toFixed(1)}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="${color}" stroke-width="2" stroke-dasharray="4 3"/><text x="${(xOf(threshold) + 4).toFixed(1)}" y="${PAD.top + dy}" font-size="11" fill="${color}">${label}</text>`;
  const ticks = [0, Math.round(max / 2), max].filter((v, i, a) => a.indexOf(v) === i);
  return html`<svg class="report-chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif">
<title id="chart-title">Proposals that would have auto-executed at each threshold</title>
<desc id="chart-desc">For each threshold from 0 to 100: proposals at or under it (blue), of them rejected by a human (red) and failed verification (orange).</desc>
${ticks.map((v) => html`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e1e4e8"/><text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#57606a">${v}</text>`)}
${rows.map((r, i) => {
  const x0 = PAD.left + i * slot + 2;
  return html`<g data-threshold="${r.threshold}">${bar(x0, r.would_auto_execute, COLORS.auto, `threshold ${r.threshold}: ${r.would_auto_execute} would auto-execute`)}${bar(x0 + barW, r.rejected_by_humans, COLORS.rejected, `threshold ${r.threshold}: ${r.rejected_by_humans} rejected by humans`)}${bar(x0 + 2 * barW, r.verification_failed, COLORS.failed, `threshold ${r.threshold}: ${r.verification_failed} failed verification`)}${
    r.threshold % 20 === 0 ? html`<text x="${(x0 + slot / 2 - 2).toFixed(1)}" y="${H - PAD.bottom + 14}" font-size="11" text-anchor="middle" fill="#57606a">${r.threshold}</text>` : ''
  }</g>`;
})}
<text x="${PAD.left + plotW / 2}" y="${H - 6}" font-size="11" text-anchor="middle" fill="#57606a">risk threshold</text>
${marker(current, COLORS.current, `current ${current}`, 10)}${recommended !== undefined ? marker(recommended, COLORS.recommended, `recommended ${recommended}`, 24) : ''}
</svg>`;
}

const utc = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)} %`);

export function reportPage(opts: { user: string; csrf: string; report?: TuningReport; since: string; currentThreshold: number; error?: string }): string {
  const r = opts.report;
  const rec = r?.recommendation;
  return page(
    'Threshold tuning',
    html`<h1>Threshold tuning</h1>
<form method="get" action="/sre/report" class="card filters"><label>Window (12h, 30d, 2w or an ISO time)<input type="text" name="since" value="${opts.since}" maxlength="40"></label><button type="submit">Show</button></form>
${opts.error ? html`<div class="card error" role="alert">${opts.error}</div>` : ''}
${
  r && rec
    ? html`<p class="meta">${r.proposals} proposal(s) from <time datetime="${r.since}">${utc(r.since)}</time> to <time datetime="${r.until}">${utc(r.until)}</time>, live and shadow alike; ${r.decisions} judged by a person or a finished verification.</p>
<div class="card ${rec.threshold === null ? '' : 'ok'}" data-recommendation="${rec.threshold ?? 'none'}">${
        rec.threshold === null
          ? html`<strong>No recommended threshold.</strong> ${rec.reason}.`
          : html`<strong>Recommended threshold: ${rec.threshold}</strong> (now ${opts.currentThreshold}). It rests on ${rec.rests_on_decisions} decisions: ${rec.reason}.`
      }</div>
<div class="card">${chart(r.thresholds, opts.currentThreshold, r.recommended_threshold)}
<p class="meta"><span style="color:${COLORS.auto}">■</span> would auto-execute · <span style="color:${COLORS.rejected}">■</span> rejected by humans · <span style="color:${COLORS.failed}">■</span> failed verification</p></div>
<h2>By action</h2><div class="scroll"><table><thead><tr><th>action</th><th>proposals</th><th>shadow</th><th>approved</th><th>rejected</th><th>expired</th><th>auto-executed</th><th>median time to decision</th><th>verification pass rate</th></tr></thead><tbody>
${r.actions.map(
  (a) => html`<tr data-action="${a.action}"><td>${a.action}</td><td>${a.proposals}</td><td>${a.shadow}</td><td>${a.approved}</td><td>${a.rejected}</td><td>${a.expired}</td><td>${a.auto_executed}</td><td>${formatDuration(a.median_time_to_decision_ms)}</td><td>${pct(a.verification_pass_rate)}${a.verified ? ` of ${a.verified}` : ''}</td></tr>`,
)}</tbody></table></div>${r.actions.length === 0 ? html`<p class="card">No proposals in this window.</p>` : ''}
${r.response ? responseTable(r) : ''}
${agreementTable(r)}
<h2>Threshold table</h2><div class="scroll"><table><thead><tr><th>threshold</th><th>would auto-execute</th><th>rejected by humans</th><th>failed verification</th></tr></thead><tbody>
${r.thresholds.map((t) => html`<tr data-threshold="${t.threshold}"><td>${t.threshold}</td><td>${t.would_auto_execute}</td><td>${t.rejected_by_humans}</td><td>${t.verification_failed}</td></tr>`)}</tbody></table></div>`
    : ''
}`,
    { nav: nav(opts.user, opts.csrf) },
  );
}

/** How often people approved what each reasoner and prompt version proposed (try a new one with npm run eval -- --replay). */
function agreementTable(r: TuningReport): Html | string {
  if (r.agreement.length === 0) return '';
  return html`<h2>Agreement by prompt version</h2><p class="meta">Of the proposals a person decided, the share they approved, by the reasoner and prompt version that made them.</p><div class="scroll"><table class="agreement-table"><thead><tr><th>reasoner</th><th>prompt version</th><th>proposals</th><th>decided by a person</th><th>approved</th><th>rejected</th><th>agreement</th></tr></thead><tbody>
${r.agreement.map((a) => html`<tr data-reasoner="${a.reasoner}" data-prompt-version="${a.prompt_version ?? ''}"><td>${a.reasoner}</td><td>${a.prompt_version ?? '—'}</td><td>${a.proposals}</td><td>${a.decisions}</td><td>${a.approved}</td><td>${a.rejected}</td><td>${pct(a.agreement)}</td></tr>`)}</tbody></table></div>`;
}

/** p50 / p90 from detection to each step, per action and for all of them, and the incidents closed with no action. */
function responseTable(r: TuningReport): Html {
  const cells = (f: ResponseFigures) => RESPONSE_STEPS.map((k) => html`<td>${formatDuration(f[k].p50_ms)} / ${formatDuration(f[k].p90_ms)}</td>`);
  return html`<h2>Response time from detection <small>(p50 / p90)</small></h2><div class="scroll"><table class="response-table"><thead><tr><th>action</th><th>to proposal</th><th>to decision</th><th>to execution</th><th>to verification</th></tr></thead><tbody>
${r.actions.filter((a) => a.response).map((a) => html`<tr data-action="${a.action}"><td>${a.action}</td>${cells(a.response!)}</tr>`)}<tr data-action="all"><td><strong>all actions</strong></td>${cells(r.response!)}</tr></tbody></table></div>
${r.incidents ? html`<p class="meta">Incidents closed: ${r.incidents.closed}, of them ${r.incidents.closed_without_action} without any action executed.</p>` : ''}`;
}
