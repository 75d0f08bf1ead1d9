import type { AgentStatus } from '../../domain/policy.js';
import { html, type Html } from './html.js';

/** The kill switch as a page places it: paused, a banner that goes first; running, a pause form that goes last. */
export interface KillSwitchPanel {
  paused: boolean;
  html: Html;
}

/**
 * The kill switch on the console: one banner with its form, rendered by this one function so the
 * pages only place it. Paused, the banner with Resume belongs at the top of every page; running,
 * the pause form belongs below what waits for a decision, so it never stands between a person and
 * the decision (nor first in the tab order). Pausing and resuming need a reason; both forms carry the CSRF token.
 */
export function killSwitchPanel(s: AgentStatus, csrf: string): KillSwitchPanel {
  if (s.paused) {
    return {
      paused: true,
      html: html`<section class="card error" role="status" data-kill-switch="paused"><strong>The agent is paused</strong> by ${s.paused_by ?? 'someone'}${
        s.paused_at ? ` since ${s.paused_at}` : ''
      }: ${s.paused_reason ?? ''}. Nothing executes; proposals are still made and wait here.
<form method="post" action="/sre/resume" class="actions"><input type="hidden" name="csrf" value="${csrf}"><input type="text" name="reason" maxlength="500" required placeholder="Why resume? (required)" aria-label="Reason to resume">
<button type="submit" class="approve">Resume the agent</button></form></section>`,
    };
  }
  return {
    paused: false,
    html: html`<section class="card kill-switch" data-kill-switch="running" aria-label="Kill switch"><form method="post" action="/sre/pause" class="actions"><input type="hidden" name="csrf" value="${csrf}">
<span>Agent running (mode ${s.mode}).</span><input type="text" name="reason" maxlength="500" required placeholder="Why pause? (required)" aria-label="Reason to pause">
<button type="submit" class="reject">Pause the agent</button></form></section>`,
  };
}

/** Where a page puts the panel: [before the content, after the content]. */
export function killSwitchPlaces(k: KillSwitchPanel | undefined): [Html | '', Html | ''] {
  if (!k) return ['', ''];
  return k.paused ? [k.html, ''] : ['', k.html];
}
