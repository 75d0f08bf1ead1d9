/** Bounded quoting of untrusted text, and the small formatters every rule shares. */

export const REASON_MAX = 500;
export const SUMMARY_MAX = 1024;

/** One line of untrusted text: control characters removed, whitespace collapsed, bounded. */
export function plain(text: string, max = 80): string {
  // eslint-disable-next-line no-control-regex
  const t = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** A bounded, quoted excerpt of untrusted text (sample errors, operator words). */
export function quoted(text: string, max = 120): string {
  return `"${plain(text, max).replace(/"/g, "'")}"`;
}

export const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
export const pct = (n: number) => `${Math.round(n * 100)} %`;
export const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Known fields of the latest event, as `key=value`; free text (sample errors) is left out. */
export function latestSummary(latest: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(latest)) {
    if (parts.length >= 10) break;
    if (typeof v === 'number' && Number.isFinite(v)) parts.push(`${plain(k, 40)}=${v}`);
    else if (typeof v === 'string') parts.push(`${plain(k, 40)}=${plain(v, 80)}`);
    else if (typeof v === 'boolean') parts.push(`${plain(k, 40)}=${v}`);
  }
  return parts.length > 0 ? parts.join(', ') : 'none readable';
}
