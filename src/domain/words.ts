import type { RiskFactor } from './risk.js';

/**
 * The one vocabulary of actions, incidents, risk and people in words, shared by Slack, the console
 * and the notification text. Pure and unescaped: each adapter escapes for its own medium. Nothing
 * here returns an action id, a JSON value, an ISO timestamp or an internal id.
 */

type Params = Record<string, unknown>;
const str = (v: unknown, fallback = '?'): string => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : fallback);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const count = (n: number) => Math.round(n).toLocaleString('en-US');
const usd = (v: unknown) => {
  const n = num(v);
  return n === undefined ? '$?' : `$${n.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;
};

/** "45 s", "2 min", "1 h 5 min", "3 d 4 h": a span of time for people. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'an unknown time';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "14 min left", "expired 3 min ago": how long before `until`, seen from `now`. */
export function timeLeft(until: string | Date, now: Date, past = 'expired'): string {
  const ms = (typeof until === 'string' ? Date.parse(until) : until.getTime()) - now.getTime();
  if (!Number.isFinite(ms)) return 'time left unknown';
  return ms > 0 ? `${duration(ms)} left` : `${past} ${duration(-ms)} ago`;
}

/** What an action does, as the button's reader needs it: "Move gpt-4o from openai to azure-openai". */
export function actionInWords(action: string, params: Params = {}): string {
  switch (action) {
    case 'circuit_break_provider': {
      const s = num(params.duration_seconds);
      return `Break ${str(params.provider, 'a provider')}'s circuit${s === undefined ? '' : ` for ${duration(s * 1000)}`}`;
    }
    case 'reroute_model_group':
      if (params.model_group === undefined) return 'Move a model group to another provider';
      return `Move ${str(params.model_group)} from ${str(params.previous_provider)} to ${str(params.provider)}`;
    case 'raise_rate_limit':
      if (params.team === undefined) return "Raise a team's rate limit";
      return `Raise ${str(params.team)}'s rate limit from ${count(num(params.previous) ?? 0)} to ${count(num(params.requests_per_minute) ?? 0)} requests a minute`;
    case 'page_oncall':
      return 'Page on-call';
    case 'disable_guardrail_rule':
      return `Turn off the guardrail rule ${str(params.rule, '')}`.trim();
    case 'bump_budget_cap':
      if (params.previous === undefined) return 'Raise a hard budget cap';
      return `Raise ${params.scope === 'org' ? 'the organisation' : `team ${str(params.scope_id)}`}'s hard budget from ${usd(params.previous)} to ${usd(params.hard_limit_usd)}`;
    case 'disable_sla_contract':
      return `Turn off the SLA contract ${str(params.sla_id, '')}`.trim();
    default:
      return 'An action this version does not know';
  }
}

/** The same action done: "Moved gpt-4o …", for results and the root's state line. */
export function actionDone(action: string, params: Params = {}): string {
  const w = actionInWords(action, params);
  const past: Record<string, string> = { Break: 'Broke', Move: 'Moved', Raise: 'Raised', Page: 'Paged', Turn: 'Turned' };
  const [first = '', ...rest] = w.split(' ');
  return past[first] ? [past[first], ...rest].join(' ') : w;
}

/** How the change ends, for the card. */
export function undoInWords(undo: 'auto-restores' | 'revert' | 'one-shot' | undefined, reversible: boolean): string {
  if (undo === 'auto-restores') return 'undoes itself when the time is up';
  if (undo === 'revert' || (undo === undefined && reversible)) return 'can be reverted';
  return 'cannot be undone';
}

export type RiskBand = 'low' | 'medium' | 'high' | 'critical';

export function riskBand(score: number): RiskBand {
  return score >= 80 ? 'critical' : score >= 60 ? 'high' : score >= 30 ? 'medium' : 'low';
}

/** "medium · 43 — a person decides; auto at ≤ 40" (auto-approve on) or "… ; auto-approve is off". */
export function riskInWords(score: number, policy: { riskThreshold: number; autoApprove: boolean } | undefined): string {
  const head = `${riskBand(score)} · ${score}`;
  if (!policy) return head;
  if (!policy.autoApprove) return `${head} — a person decides; auto-approve is off`;
  return score <= policy.riskThreshold ? `${head} — at or under the auto threshold of ${policy.riskThreshold}` : `${head} — a person decides; auto at ≤ ${policy.riskThreshold}`;
}

const FACTOR_WORDS: Record<string, string> = {
  baseline: 'the action itself',
  time_of_day: 'time of day',
  blast_radius: 'traffic affected',
  no_alternative: 'no healthy alternative',
  team_criticality: 'critical team',
  repetition: 'already tried',
  magnitude: 'size of the change',
  recent_rejection: 'recently rejected',
  model_adjustment: "the reasoner's judgement",
};

/** One factor in words, without action ids or timestamps: "night, fewer responders at hand (+10)". */
export function factorInWords(f: RiskFactor): string {
  const name = FACTOR_WORDS[f.name] ?? f.name.replace(/_/g, ' ');
  const delta = f.delta >= 0 ? `+${f.delta}` : `${f.delta}`;
  const reason = f.reason.slice(0, 400);
  let why = '';
  if (!['baseline', 'repetition', 'recent_rejection', 'magnitude'].includes(f.name)) why = reason;
  else if (f.name === 'repetition') why = reason.match(/ran (\d+)×/)?.[1] ? `ran ${reason.match(/ran (\d+)×/)?.[1]}× in the last 24 h` : '';
  else if (f.name === 'recent_rejection') why = reason.includes(': "') ? `“${reason.slice(reason.indexOf(': "') + 3).replace(/"$/, '')}”` : '';
  else if (f.name === 'magnitude') why = reason.match(/^\d+ %/)?.[0] ? `${reason.match(/^\d+ %/)?.[0]} of the most allowed` : '';
  return `${name}${why ? `: ${stripIds(why)}` : ''} (${delta})`;
}

/** The two or three factors that weigh most, baseline last: what a reader needs from the sum. */
export function topFactors(factors: readonly RiskFactor[], max = 3): string[] {
  const rest = factors.filter((f) => f.name !== 'baseline').sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta));
  const base = factors.filter((f) => f.name === 'baseline');
  return [...rest, ...base].slice(0, max).map(factorInWords);
}

/** Removes snake_case identifiers and ISO instants from a free-text reason. */
export function stripIds(text: string): string {
  return text
    .replace(/\b\d{4}-\d{2}-\d{2}T[\d:.]+Z?\b/g, '')
    .replace(/\b(prp|inc|exe)_[A-Za-z0-9]+\b/g, '')
    // Emoji codes (`:white_check_mark:`) keep their underscores.
    .replace(/\b([a-z]+_[a-z_]+)\b/g, (m, _g: string, at: number, all: string) => (all[at - 1] === ':' && all[at + m.length] === ':' ? m : m.replace(/_/g, ' ')))
    .replace(/ {2,}/g, ' ')
    .trim();
}

/**
 * A person as Slack shows them: "alice (slack U0ALICE)" and "slack:U0ALICE" become the mention
 * `<@U0ALICE>`; "system:policy" is "the policy"; "email:a@b" is "a@b". Other labels stay as given
 * (the caller escapes them). `mention: false` gives the name alone (console, plain text).
 */
export function person(label: string | null | undefined, opts: { mention?: boolean } = {}): { text: string; isMention: boolean } {
  if (!label) return { text: 'someone', isMention: false };
  const named = /^(.*) \(slack ([UW][A-Z0-9]{1,20})\)$/.exec(label);
  const bare = /^slack:([UW][A-Z0-9]{1,20})$/.exec(label);
  const id = named?.[2] ?? bare?.[1];
  if (id && opts.mention !== false) return { text: `<@${id}>`, isMention: true };
  if (named) return { text: named[1]!, isMention: false };
  if (bare) return { text: 'a Slack user', isMention: false };
  const sys = /^system:(.*)$/.exec(label);
  if (sys) return { text: sys[1] === 'policy' ? 'the policy' : `the ${sys[1]}`, isMention: false };
  return { text: label.replace(/^email:/, ''), isMention: false };
}

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export const SEVERITY_ICON: Record<Severity, string> = { critical: ':red_circle:', high: ':large_orange_circle:', medium: ':large_yellow_circle:', low: ':white_circle:' };

export interface IncidentFacts {
  type: string;
  subject: string;
  latest: Record<string, unknown>;
  first_seen: string;
  last_seen: string;
}

/** How badly, from the latest event: the severity named on the first line. */
export function severityOf(i: Pick<IncidentFacts, 'type' | 'latest'>): Severity {
  const d = i.latest;
  switch (i.type) {
    case 'provider.unhealthy': {
      const r = num(d.error_rate) ?? 0;
      return r >= 0.5 ? 'critical' : r >= 0.2 ? 'high' : r >= 0.05 ? 'medium' : 'low';
    }
    case 'budget.exceeded': {
      const ratio = (num(d.spend_usd) ?? 0) / Math.max(1e-9, num(d.limit_usd) ?? 0);
      return d.limit_kind === 'hard' ? (ratio >= 1.2 ? 'critical' : 'high') : 'medium';
    }
    case 'sla.violation':
      return 'high';
    case 'latency.spike': {
      const ratio = (num(d.latency_ms) ?? 0) / Math.max(1, num(d.rolling_median_ms) ?? 1);
      return ratio >= 5 ? 'high' : 'medium';
    }
    default:
      return 'medium';
  }
}

const pct = (r: number) => `${Math.round(r * 100)} %`;

/** What broke and how badly: "openai fails 62 % of gpt-4o requests, about 370 a minute, for 28 min". */
export function incidentInWords(i: IncidentFacts): string {
  const d = i.latest;
  const lasted = Date.parse(i.last_seen) - Date.parse(i.first_seen);
  const forHow = Number.isFinite(lasted) && lasted >= 60_000 ? `, for ${duration(lasted)}` : '';
  switch (i.type) {
    case 'provider.unhealthy': {
      const rate = num(d.error_rate) ?? 0;
      const window = num(d.window_seconds);
      const perMin = window ? ((num(d.requests) ?? 0) * rate * 60) / window : undefined;
      const of = typeof d.model_group === 'string' ? `${d.model_group} requests` : 'requests';
      const about = perMin !== undefined && perMin >= 1 ? `, about ${count(perMin)} a minute` : '';
      return `${str(d.provider)} fails ${pct(rate)} of ${of}${about}${forHow}`;
    }
    case 'budget.exceeded': {
      const who = d.scope === 'org' ? 'The organisation' : `Team ${str(d.scope_id)}`;
      return `${who} spent ${usd(d.spend_usd)} of its ${usd(d.limit_usd)} ${d.limit_kind === 'hard' ? 'hard' : 'soft'} budget (${str(d.period)})`;
    }
    case 'sla.violation': {
      const m = d.metric;
      const seen = m === 'success_rate' ? `success rate ${pct(num(d.observed) ?? 0)} against ${pct(num(d.target) ?? 0)}` : `${m === 'p99_latency_ms' ? 'p99' : 'p95'} latency ${count(num(d.observed) ?? 0)} ms against ${count(num(d.target) ?? 0)} ms`;
      return `SLA ${str(d.sla_id)}${typeof d.team === 'string' ? ` (team ${d.team})` : ''} is broken: ${seen}${forHow}`;
    }
    case 'latency.spike': {
      const lat = num(d.latency_ms) ?? 0;
      const med = num(d.rolling_median_ms) ?? 0;
      const what = [str(d.provider), typeof d.model === 'string' ? d.model : ''].filter(Boolean).join(' ');
      const times = med > 0 ? `, ${Math.round(lat / med)}× its usual ${count(med)} ms` : '';
      return `${what} answers in ${count(lat)} ms${times}${forHow}`;
    }
    default:
      return `${i.subject}: ${i.type.replace(/[._]/g, ' ')}`;
  }
}

/** Whether a page reached anyone: `paged: false` (log-only pager) or the old rows' `status: 'logged'`. */
export function pageOutcome(result: Record<string, unknown> | null | undefined): { paged: boolean; why?: string } {
  if (!result) return { paged: true };
  const response = result.response as { pagerduty?: { status?: unknown } } | undefined;
  if (result.paged === false || result.status === 'logged' || response?.pagerduty?.status === 'logged') {
    return { paged: false, why: typeof result.not_paged === 'string' && result.not_paged ? result.not_paged : 'PagerDuty is not configured' };
  }
  return { paged: true };
}

/** True when this action pages a person (page_oncall). */
export const pages = (action: string) => action === 'page_oncall';

/** The execution's result in words, never JSON: what changed, or why nothing did. */
export function resultInWords(action: string, params: Params, status: string, result: Record<string, unknown> | null | undefined): string {
  if (result?.shadow === true) return `Shadow mode: nothing was changed; it would have been: ${actionInWords(action, params).replace(/^./, (c) => c.toLowerCase())}`;
  if (status === 'failed') {
    const err = typeof result?.error === 'string' ? result.error : typeof result?.message === 'string' ? result.message : '';
    return `Failed${err ? `: ${stripIds(err).slice(0, 300)}` : ''}; nothing was changed`;
  }
  if (status === 'executing') return `${actionInWords(action, params)}: in progress`;
  if (status !== 'succeeded') return '';
  if (pages(action)) {
    const o = pageOutcome(result);
    return o.paged ? 'On-call was paged' : `Not paged: ${o.why}`;
  }
  return `Done: ${actionDone(action, params).replace(/^./, (c) => c.toLowerCase())}`;
}

const TARGET_READ: Record<string, string> = { applied: 'the change is in place', not_applied: 'the change is not in place', unknown: 'whether the change is in place could not be read' };

/** A recorded reason (verification, staleness) for people: no raw read states, ids or instants. */
export function reasonInWords(text: string): string {
  const t = text.slice(0, 2000).replace(/\(target read: (applied|not_applied|unknown)\)/g, (_m, k: string) => `(${TARGET_READ[k] ?? k})`);
  return stripIds(t);
}
