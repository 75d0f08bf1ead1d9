import { html, type Html } from '../html.js';
import { actionInWords } from '../../../domain/words.js';
import type { AuditRowView } from '../pages.js';
import { CHANNEL_TEXT as CHANNELS, personName } from './parts.js';
import { durationText, timeAgo } from './time.js';

/**
 * The incident timeline written for people ("alice approved in Slack", "admin-api answered 200
 * in 84 ms"), each line with its raw audit row behind a disclosure. Pure: rows and `now` in.
 */

export type Tone = 'ok' | 'bad' | 'warn' | 'quiet' | 'info';

export interface Line {
  text: Html;
  tone: Tone;
}


function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function rec(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function clip(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function quoted(reason: unknown): Html {
  const r = str(reason);
  return r ? html` — “${clip(r)}”` : html``;
}

const OPERATIONS: Record<string, string> = { execute: 'executing', revert: 'reverting', restore: 'restoring' };

function callText(request: unknown): string {
  const r = rec(request);
  const admin = rec(r.admin_api);
  if (str(admin.method) && str(admin.path)) return `${String(admin.method)} ${String(admin.path)}`;
  if (r.pagerduty) return 'a PagerDuty page';
  return 'the action';
}

/** Where a successful call answered: "admin-api answered 200", "PagerDuty accepted the page". */
function answerText(response: unknown): string {
  const r = rec(response);
  if (typeof r.status === 'number') return `admin-api answered ${r.status}`;
  if (r.pagerduty) return 'PagerDuty accepted the page';
  return 'the call succeeded';
}

export function describeRow(r: AuditRowView, started: Map<string, Date>): Line {
  const p = r.payload;
  const who = personName(r.actor);
  const channel = str(p.channel) ?? '';
  switch (r.kind) {
    case 'events.received': {
      const n = typeof p.count === 'number' ? p.count : 0;
      return { text: html`${n} event${n === 1 ? '' : 's'} received${str(p.via) ? ` over ${String(p.via)}` : ''}`, tone: 'quiet' };
    }
    case 'event.dead_lettered':
      return { text: html`a stream entry could not be read and was set aside: ${clip(String(p.error ?? ''))}`, tone: 'warn' };
    case 'incident.opened':
      return { text: html`incident opened: <strong>${String(p.type ?? '')}</strong> on <strong>${String(p.subject ?? '')}</strong>`, tone: 'info' };
    case 'incident.closed':
      return { text: html`incident closed${str(p.reason) ? ` (${String(p.reason)})` : ''} after ${String(p.event_count ?? '?')} events`, tone: 'info' };
    case 'reasoning.completed':
      return { text: html`reasoning finished${str(p.model) ? ` (${String(p.model)})` : ''}`, tone: 'quiet' };
    case 'proposal.created':
      return { text: html`${p.reasoner === 'playbook' ? 'the playbook' : (str(p.reasoner) ?? 'the agent')} proposed <strong>${actionInWords(String(p.action ?? ''), typeof p.params === 'object' && p.params !== null ? (p.params as Record<string, unknown>) : {})}</strong>`, tone: 'info' };
    case 'risk.scored':
      return { text: html`risk scored <strong>${String(p.score ?? '?')}/100</strong>${str(p.route) ? ` → ${p.route === 'gate' ? 'needs a human' : String(p.route)}` : ''}`, tone: 'quiet' };
    case 'proposal.approved':
      if (channel === 'policy') return { text: html`approved automatically by policy${str(p.reason) ? ` (${clip(String(p.reason))})` : ''}`, tone: 'ok' };
      return { text: html`<strong>${who}</strong> approved ${CHANNELS[channel] ?? (channel ? `via ${channel}` : '')}${quoted(p.reason)}`, tone: 'ok' };
    case 'proposal.rejected':
      return { text: html`<strong>${who}</strong> rejected ${CHANNELS[channel] ?? (channel ? `via ${channel}` : '')}${quoted(p.reason)}`, tone: 'bad' };
    case 'proposal.expired':
      return { text: html`expired with no decision: no action taken`, tone: 'warn' };
    case 'proposal.superseded':
      return { text: html`superseded by a newer proposal (<a href="/sre/proposals/${encodeURIComponent(String(p.superseded_by ?? ''))}">${String(p.superseded_by ?? '')}</a>)`, tone: 'quiet' };
    case 'proposal.escalated':
      return { text: html`no decision yet: escalated (re-notified${p.paged === false ? `; not paged: ${str(p.not_paged) ? String(p.not_paged) : 'PagerDuty is not configured'}` : ' and paged'})`, tone: 'warn' };
    case 'decision.duplicate':
      return { text: html`<strong>${who}</strong> tried to ${String(p.attempted ?? 'decide')}, but it was already ${String(p.status ?? 'decided')}${str(p.decided_by) ? ` by ${personName(String(p.decided_by))}` : ''}`, tone: 'quiet' };
    case 'decision.denied':
      return { text: html`<strong>${who}</strong> was not allowed to decide: ${clip(String(p.reason ?? ''))}`, tone: 'warn' };
    case 'execution.started':
      if (str(p.execution_id)) started.set(String(p.execution_id), r.occurredAt);
      return { text: html`${OPERATIONS[String(p.operation)] ?? 'executing'}: <code>${callText(p.request)}</code>`, tone: 'info' };
    case 'execution.succeeded': {
      const t0 = started.get(String(p.execution_id ?? ''));
      const took = t0 ? ` in ${msText(r.occurredAt.getTime() - t0.getTime())}` : '';
      const what = p.operation === 'revert' ? ' — reverted' : '';
      return { text: html`${answerText(p.response)}${took}${what}`, tone: 'ok' };
    }
    case 'execution.failed':
      return { text: html`${p.operation === 'revert' ? 'revert' : 'execution'} failed: ${clip(String(p.error ?? ''))}`, tone: 'bad' };
    case 'execution.reconciled':
      return { text: html`after a restart, the interrupted call was checked again: ${String(p.outcome ?? '')}`, tone: 'warn' };
    case 'action.restored':
      return { text: html`breaker restored${str(p.note) ? `: ${clip(String(p.note))}` : ''}`, tone: 'ok' };
    case 'notification.sent':
      return { text: html`${String(p.notification ?? 'notification')} sent to ${channel || 'a channel'}`, tone: 'quiet' };
    case 'notification.dead':
      return { text: html`could not deliver to ${channel || 'a channel'}: ${clip(String(p.error ?? ''))}`, tone: 'bad' };
    case 'thread.message':
      return { text: html`<strong>${who}</strong> in the thread: “${clip(String(p.text ?? ''))}”`, tone: 'info' };
    case 'thread.reply':
      return { text: html`the agent replied: “${clip(String(p.text ?? ''))}”`, tone: 'info' };
    default: {
      // Kinds added later (verification, pause, stale): their reason or status, never silence.
      const why = str(p.reason) ?? str(p.status) ?? str(p.outcome);
      const tone: Tone = /failed|stale|denied|paused/.test(r.kind) ? 'warn' : /passed|resumed/.test(r.kind) ? 'ok' : 'info';
      return { text: html`${r.kind.replace('.', ' ')}${r.actorType === 'system' ? '' : html` by <strong>${who}</strong>`}${why ? `: ${clip(why)}` : ''}`, tone };
    }
  }
}

function msText(ms: number): string {
  return ms < 10_000 ? `${Math.max(0, Math.round(ms))} ms` : durationText(ms);
}

export function timelineList(rows: AuditRowView[], now: Date): Html {
  const started = new Map<string, Date>();
  return html`<ol class="timeline">${rows.map((r) => {
    const line = describeRow(r, started);
    return html`<li data-kind="${r.kind}" class="t-${line.tone}">${timeAgo(r.occurredAt, now)}<span class="what">${line.text}</span>
<details class="raw"><summary>raw <span class="sr-only">audit row ${r.seq}</span></summary><pre>${JSON.stringify({ seq: r.seq, occurred_at: r.occurredAt.toISOString(), kind: r.kind, actor_type: r.actorType, actor: r.actor, proposal_id: r.proposalId, payload: r.payload }, null, 2)}</pre></details></li>`;
  })}</ol>`;
}
