import type { RiskFactor } from '../../../domain/risk.js';
import { html, type Html } from '../html.js';

/**
 * The risk score as a waterfall: each factor a bar starting where the previous one ended, the
 * total last, with the auto-approve threshold and the two-person score as lines. Labels stay
 * HTML (readable at phone width); only the bars are inline SVG, hidden from screen readers.
 */

export interface ChartLines {
  /** Unset where the page does not know the policy (an email link): bars and reasons only. */
  threshold?: number;
  twoPerson?: number;
}

const fmt = (n: number) => (n > 0 ? `+${n}` : String(n));

export function riskChart(factors: RiskFactor[], score: number, lines: ChartLines): Html {
  let cum = 0;
  const steps = factors.map((f) => {
    const from = cum;
    cum += f.delta;
    return { f, from, to: cum };
  });
  const lo = Math.min(0, ...steps.map((s) => Math.min(s.from, s.to)));
  const hi = Math.max(100, ...steps.map((s) => Math.max(s.from, s.to)));
  const x = (v: number) => ((v - lo) / (hi - lo)) * 100;
  const marks = [
    ...(lines.threshold !== undefined ? [{ v: lines.threshold, cls: 'threshold' }] : []),
    ...(lines.twoPerson !== undefined ? [{ v: lines.twoPerson, cls: 'two-person' }] : []),
  ].map((m) => html`<line class="${m.cls}" x1="${x(m.v).toFixed(2)}" x2="${x(m.v).toFixed(2)}" y1="0" y2="10" vector-effect="non-scaling-stroke"/>`);
  const bar = (from: number, to: number, cls: string) => {
    const a = x(Math.min(from, to));
    const w = Math.max(x(Math.max(from, to)) - a, 0.6);
    return html`<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect class="${cls}" x="${a.toFixed(2)}" y="1.5" width="${w.toFixed(2)}" height="7" rx="0.8"/>${marks}</svg>`;
  };
  const over = lines.threshold !== undefined && score > lines.threshold;
  return html`<div class="risk-chart" role="group" aria-label="Risk factors adding up to ${score} of 100">
${steps.map(
  (s) => html`<div class="factor"><span class="name">${s.f.name}</span>${bar(s.from, s.to, s.f.delta >= 0 ? 'up' : 'down')}<span class="delta">${fmt(s.f.delta)}</span>
<span class="reason">${s.f.reason}</span></div>`,
)}
<div class="factor total"><span class="name">score</span>${bar(0, score, lines.threshold === undefined ? 'sum' : over ? 'sum over' : 'sum under')}<span class="delta">${score}</span>
<span class="reason">${lines.threshold === undefined ? 'of 100' : over ? `above the auto-approve threshold (${lines.threshold}): a human decides` : `at or under the auto-approve threshold (${lines.threshold})`}${
    lines.twoPerson !== undefined && score >= lines.twoPerson ? `; at or above ${lines.twoPerson}: two people must approve` : ''
  }</span></div>
${lines.threshold !== undefined ? html`<p class="legend meta"><span class="key threshold"></span> threshold ${lines.threshold}${lines.twoPerson !== undefined ? html` <span class="key two-person"></span> two-person ${lines.twoPerson}` : ''}</p>` : ''}
</div>`;
}
