import type { AgentStatus } from '../../domain/policy.js';
import { html, type Html } from './html.js';

/**
 * The kill switch on the console: one banner with its form, rendered by this one function so the
 * pages only place it. Pausing needs a reason; both forms carry the session's CSRF token.
 */
export function killSwitchPanel(s: AgentStatus, csrf: string): Html {
  if (s.paused) {
    return html`<section class="card error" role="status" data-kill-switch="paused"><strong>The agent is paused</strong> by ${s.paused_by ?? 'someone'}${
      s.paused_at ? ` since ${s.paused_at}` : ''
    }: ${s.paused_reason ?? ''}. Nothing executes; proposals are still made and wait here.
<form method="post" action="/sre/resume" class="actions"><input type="hidden" name="csrf" value="${csrf}"><button type="submit" class="approve">Resume the agent</button></form></section>`;
  }
  return html`<section class="card" data-kill-switch="running"><form method="post" action="/sre/pause" class="actions"><input type="hidden" name="csrf" value="${csrf}">
<span>Agent running (mode ${s.mode}).</span><input type="text" name="reason" maxlength="500" required placeholder="Why pause? (required)" aria-label="Reason to pause">
<button type="submit" class="reject">Pause the agent</button></form></section>`;
}
