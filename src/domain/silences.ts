/**
 * Silences and maintenance windows, the pure half: matchers (equality and a trailing `*` glob,
 * compared in linear time, never a regular expression built from input), what an event or an
 * incident offers them, and weekly windows in the operators' time zone (Intl, DST included).
 */

export const MATCHER_KEYS = ['type', 'provider', 'model_group', 'team', 'scope_id', 'sla_id'] as const;
export type MatcherKey = (typeof MATCHER_KEYS)[number];
export type Matchers = Partial<Record<MatcherKey, string>>;

/** The longest a silence may run, from now. */
export const MAX_SILENCE_MS = 7 * 86_400_000;
const MAX_VALUE = 200;

export const isMatcherKey = (k: string): k is MatcherKey => (MATCHER_KEYS as readonly string[]).includes(k);

/** Equality, or a prefix when the pattern ends in `*` (`*` alone: any value present). */
export function globMatches(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

/** Every matcher must hold; no matcher holds nothing (a silence always has one). */
export function silenceMatches(matchers: Matchers, subject: Matchers): boolean {
  const keys = Object.keys(matchers) as MatcherKey[];
  if (keys.length === 0) return false;
  return keys.every((k) => globMatches(matchers[k]!, subject[k]));
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** What an event (or an incident's latest event) offers matchers: its type and the fields of its data. */
export function matchSubject(type: string, data: Record<string, unknown>): Matchers {
  const out: Matchers = { type };
  const provider = str(data.provider);
  const modelGroup = str(data.model_group);
  const team = str(data.team) ?? (data.scope === 'team' ? str(data.scope_id) : undefined);
  const scopeId = str(data.scope_id);
  const slaId = str(data.sla_id);
  if (provider) out.provider = provider;
  if (modelGroup) out.model_group = modelGroup;
  if (team) out.team = team;
  if (scopeId) out.scope_id = scopeId;
  if (slaId) out.sla_id = slaId;
  return out;
}

/** A metric label for a silence: its matcher keys, sorted (bounded cardinality). */
export const matcherLabel = (m: Matchers): string => (Object.keys(m) as MatcherKey[]).sort().join(',');

export const matcherText = (m: Matchers): string =>
  (Object.keys(m) as MatcherKey[])
    .sort()
    .map((k) => `${k}=${m[k]}`)
    .join(' ');

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Matchers from an object (the API): every key known, every value a short non-empty text, one at least. */
export function parseMatchers(raw: unknown): Parsed<Matchers> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, problem: `matchers: expected an object with at least one of ${MATCHER_KEYS.join(', ')}` };
  const out: Matchers = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!isMatcherKey(k)) return { ok: false, problem: `matchers.${k}: unknown matcher key (expected one of ${MATCHER_KEYS.join(', ')})` };
    if (typeof v !== 'string' || v.trim().length === 0) return { ok: false, problem: `matchers.${k}: expected a non-empty text` };
    const value = v.trim();
    if (value.length > MAX_VALUE) return { ok: false, problem: `matchers.${k}: at most ${MAX_VALUE} characters` };
    if (value.indexOf('*') !== -1 && value.indexOf('*') !== value.length - 1) return { ok: false, problem: `matchers.${k}: \`*\` is allowed only at the end` };
    out[k] = value;
  }
  if (Object.keys(out).length === 0) return { ok: false, problem: `matchers: a silence needs at least one matcher (${MATCHER_KEYS.join(', ')})` };
  return { ok: true, value: out };
}

/** `provider=openai type=provider.*` tokens (Slack, CLI, SRE_MAINTENANCE) into the object parseMatchers takes. */
export function matcherTokens(tokens: readonly string[]): Parsed<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq <= 0) return { ok: false, problem: `"${t.slice(0, 60)}": expected key=value` };
    out[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return { ok: true, value: out };
}

const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90m`, `2h`, `1d`, `1h30m` into milliseconds; undefined when not a duration. */
export function parseSilenceDuration(text: string): number | undefined {
  let ms = 0;
  let digits = '';
  if (text.length === 0 || text.length > 20) return undefined;
  for (const ch of text) {
    if (ch >= '0' && ch <= '9') digits += ch;
    else if (DURATION_UNITS[ch] !== undefined && digits !== '') {
      ms += Number(digits) * DURATION_UNITS[ch]!;
      digits = '';
    } else return undefined;
  }
  return digits === '' && ms > 0 ? ms : undefined;
}

/** The problem with an ends_at, or undefined: required, after now (and after starts_at), at most 7 days ahead. */
export function endsAtProblem(endsAt: Date | undefined, startsAt: Date, now: Date): string | undefined {
  if (!endsAt) return 'ends_at: required (an ISO time at most 7 days ahead)';
  if (Number.isNaN(endsAt.getTime())) return 'ends_at: expected an ISO time such as 2026-12-05T02:00:00Z';
  if (endsAt.getTime() <= now.getTime()) return `ends_at: ${endsAt.toISOString()} is in the past`;
  if (endsAt.getTime() <= startsAt.getTime()) return 'ends_at: must be after starts_at';
  if (endsAt.getTime() - now.getTime() > MAX_SILENCE_MS) return `ends_at: at most 7 days ahead (until ${new Date(now.getTime() + MAX_SILENCE_MS).toISOString()})`;
  return undefined;
}

/** "silenced until 02:00 by alice: migration" (the time in the operators' zone; a date too when not today). */
export function silenceLine(s: { until: Date; by: string; reason: string }, now: Date, timeZone: string): string {
  const sameDay = localDate(s.until, timeZone).key === localDate(now, timeZone).key;
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(s.until);
  const day = sameDay ? '' : `${new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short' }).format(s.until)} `;
  return `silenced until ${day}${time} by ${s.by}: ${s.reason}`;
}

// ---- weekly windows ----------------------------------------------------------------------------

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** `sun 02:00-04:00`: a weekday and local wall times; an end at or before the start ends the next day. */
export interface WeeklySchedule {
  day: number;
  start: number;
  end: number;
}

export interface MaintenanceWindow {
  id: string;
  schedule: WeeklySchedule;
  matchers: Matchers;
  reason: string;
}

const hhmm = (t: string): number | undefined => {
  if (t.length !== 5 || t[2] !== ':') return undefined;
  const h = Number(t.slice(0, 2));
  const m = Number(t.slice(3));
  if (!Number.isInteger(h) || !Number.isInteger(m) || h < 0 || h > 23 || m < 0 || m > 59 || t.slice(0, 2).trim() !== t.slice(0, 2)) return undefined;
  return h * 60 + m;
};

export function parseSchedule(text: string): Parsed<WeeklySchedule> {
  const parts = text.trim().toLowerCase().split(/\s+/);
  const [d, range] = parts;
  const day = WEEKDAYS.indexOf((d ?? '').slice(0, 3) as (typeof WEEKDAYS)[number]);
  if (parts.length !== 2 || day < 0 || (d ?? '').length > 9) return { ok: false, problem: `schedule "${text.slice(0, 60)}": expected a weekday and a time range, such as sun 02:00-04:00` };
  const [a, b] = (range ?? '').split('-');
  const start = hhmm(a ?? '');
  const end = hhmm(b ?? '');
  if (start === undefined || end === undefined) return { ok: false, problem: `schedule "${text.slice(0, 60)}": expected times as HH:MM-HH:MM, such as 02:00-04:00` };
  if (start === end) return { ok: false, problem: `schedule "${text.slice(0, 60)}": the window is empty` };
  return { ok: true, value: { day, start, end } };
}

export const scheduleText = (s: WeeklySchedule): string => `${WEEKDAYS[s.day]} ${clock(s.start)}-${clock(s.end)}`;
const clock = (min: number) => `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;

/** `sun 02:00-04:00 provider=azure-openai; sat 22:00-23:00 type=sla.violation sla_id=gold-*` (SRE_MAINTENANCE). */
export function parseMaintenance(text: string): Parsed<MaintenanceWindow[]> {
  const out: MaintenanceWindow[] = [];
  const items = text.split(';').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const [i, item] of items.entries()) {
    const words = item.split(/\s+/);
    const schedule = parseSchedule(words.slice(0, 2).join(' '));
    if (!schedule.ok) return { ok: false, problem: `window ${i + 1}: ${schedule.problem}` };
    const tokens = matcherTokens(words.slice(2));
    const matchers = tokens.ok ? parseMatchers(tokens.value) : tokens;
    if (!matchers.ok) return { ok: false, problem: `window ${i + 1}: ${matchers.problem}` };
    out.push({ id: `mnt_${i + 1}`, schedule: schedule.value, matchers: matchers.value, reason: `maintenance window ${item}` });
  }
  return { ok: true, value: out };
}

interface LocalDate {
  y: number;
  m: number;
  d: number;
  key: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsIn(ms: number, timeZone: string): Record<string, number> {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(ms)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** The zone's offset at an instant (local minus UTC, ms). */
function offsetAt(ms: number, timeZone: string): number {
  const p = partsIn(ms, timeZone);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!) - Math.floor(ms / 1000) * 1000;
}

function localDate(at: Date, timeZone: string): LocalDate {
  const p = partsIn(at.getTime(), timeZone);
  return { y: p.year!, m: p.month!, d: p.day!, key: `${p.year}-${p.month}-${p.day}` };
}

/**
 * The instant of a local wall time. A time the clocks skip (spring forward) is taken after the
 * gap (02:30 becomes 03:30); a time they repeat (fall back) is its later instance.
 */
export function zonedInstant(y: number, m: number, d: number, minutes: number, timeZone: string): Date {
  const wall = Date.UTC(y, m - 1, d, 0, minutes);
  // The offsets a day either side: the day's transition, if any, lies between them.
  const before = offsetAt(wall - 86_400_000, timeZone);
  const after = offsetAt(wall + 86_400_000, timeZone);
  const fits = [wall - before, wall - after].filter((c) => offsetAt(c, timeZone) === wall - c);
  if (fits.length === 0) return new Date(wall - before);
  return new Date(Math.max(...fits));
}

/** The occurrence of a weekly window covering `at`, or the next one after it. */
export function occurrence(s: WeeklySchedule, at: Date, timeZone: string): { start: Date; end: Date; active: boolean } {
  const today = localDate(at, timeZone);
  for (let i = -1; i <= 7; i++) {
    const base = new Date(Date.UTC(today.y, today.m - 1, today.d + i));
    if (base.getUTCDay() !== s.day) continue;
    const [y, m, d] = [base.getUTCFullYear(), base.getUTCMonth() + 1, base.getUTCDate()];
    const start = zonedInstant(y, m, d, s.start, timeZone);
    const endDay = s.end <= s.start ? new Date(Date.UTC(y, m - 1, d + 1)) : base;
    const end = zonedInstant(endDay.getUTCFullYear(), endDay.getUTCMonth() + 1, endDay.getUTCDate(), s.end, timeZone);
    if (end.getTime() <= at.getTime()) continue;
    return { start, end, active: start.getTime() <= at.getTime() };
  }
  throw new Error('a weekly window always occurs within eight days');
}

/** A silence as every surface shows it (JSON API, Slack, console, CLI). */
export interface SilenceView {
  id: string;
  matchers: Matchers;
  starts_at: string;
  ends_at: string | null;
  /** A maintenance window: `sun 02:00-04:00` in the operators' time zone; null for a one-off silence. */
  schedule: string | null;
  /** A window's current or next occurrence. */
  next: { starts_at: string; ends_at: string } | null;
  active: boolean;
  reason: string;
  created_by: string;
  created_at: string;
  ended_at: string | null;
  ended_by: string | null;
  /** api: made through a surface (may be ended); config: SRE_MAINTENANCE. */
  source: 'api' | 'config';
}
