import { html, type Html } from '../html.js';

/** Times for people: "4 min ago", "in 23 h", with the absolute UTC time on hover. Pure: `now` is passed in. */

export function durationText(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 || h >= 10 ? `${Math.round(m / 60)} h` : `${h} h ${m % 60} min`;
  return `${Math.round(h / 24)} d`;
}

export function relativeText(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  if (Math.abs(ms) < 5_000) return 'just now';
  return ms < 0 ? `${durationText(ms)} ago` : `in ${durationText(ms)}`;
}

export function absoluteText(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function toDate(v: Date | string): Date {
  return v instanceof Date ? v : new Date(v);
}

/** A <time> element: relative text, machine-readable datetime, absolute time as its title. */
export function timeAgo(v: Date | string, now: Date): Html {
  const at = toDate(v);
  return html`<time datetime="${at.toISOString()}" title="${absoluteText(at)}">${relativeText(at, now)}</time>`;
}

/** Time left before a deadline, for people: "23 h left", "expired 4 min ago". */
export function timeLeft(v: Date | string, now: Date): Html {
  const at = toDate(v);
  const ms = at.getTime() - now.getTime();
  const text = ms > 0 ? `${durationText(ms)} left` : `due ${durationText(ms)} ago`;
  return html`<time datetime="${at.toISOString()}" title="expires ${absoluteText(at)}"${ms < 3_600_000 ? html` class="soon"` : ''}>${text}</time>`;
}
