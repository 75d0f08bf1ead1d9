/**
 * Slack mrkdwn escaping and limits. Slack parses `<…>` as links, mentions and broadcasts, so
 * every character of text from events, the model or users goes through `escapeMrkdwn`.
 */

export const LIMITS = {
  sectionText: 3000,
  fieldText: 2000,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  contextText: 3000,
  messageBlocks: 50,
  modalTitle: 24,
  privateMetadata: 3000,
  fallbackText: 3000,
} as const;

export const ELLIPSIS = '…';

/** `&`, `<`, `>` become entities: `<!channel>`, `<@U…>` and `<https://x|y>` render as inert text. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Cuts to at most `max` characters with an ellipsis. An entity cut in half (`&am…`) is dropped
 * whole, so truncated escaped text never leaves a stray `&` that could join the next character.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - ELLIPSIS.length));
  cut = cut.replace(/&[a-z]{0,4}$/, '');
  return cut + ELLIPSIS;
}

/** Escaped and cut to a limit: the one way untrusted text enters a mrkdwn field. */
export function safe(text: string, max: number): string {
  return truncate(escapeMrkdwn(text), max);
}

/**
 * Plain-text fields (headers, buttons) show entities literally, so angle brackets become look-alike
 * quotes instead: inert whichever way a client reads them.
 */
export function plain(text: string, max: number): string {
  return truncate(text.replace(/</g, '‹').replace(/>/g, '›'), max);
}

const FALLBACK_DATE = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** A date that Slack renders in each reader's own time zone; the fallback reads "25 Nov, 10:00 UTC". */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return 'an unknown time';
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${FALLBACK_DATE.format(new Date(ms))} UTC>`;
}

/** "3m", "2h 5m", "1d 4h": the age of something, from two instants passed in (builders have no clock). */
export function formatAge(fromIso: string, now: Date): string {
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(fromIso)) / 1000));
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A link we build ourselves (our own origin or a Slack permalink); the label is escaped. */
export function link(url: string, label: string): string {
  // A URL carrying `|` or `>` would let its tail become the label or escape the link.
  const u = url.replace(/[|<>\s]/g, encodeURIComponent);
  return `<${u}|${escapeMrkdwn(label)}>`;
}
