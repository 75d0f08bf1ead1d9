import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_TABLE } from '../domain/errors.js';
import type { AuthBrake } from './brake.js';
import { decideByLink, readDecisionLink, type DecisionLink, type LinkDecision, type LinkView, type ProposalView, type ServiceDeps } from '../proposals/index.js';
import { html, page, type Html } from './console/html.js';
import { BodyTooLarge, cookie, nonce, parseCookies, readForm, safeEqual, sameOrigin, sendHtml, sign } from './console/http.js';
import { decisionVerbs, proposalSummary, statusText } from './console/views.js';

/**
 * Email decision links. GET and HEAD show what the link would do and change nothing, because mail
 * scanners fetch links; only a POST from the confirmation page (CSRF token bound to the link and a
 * SameSite cookie) consumes the single-use token and decides, through the same exactly-once path.
 */

export interface DecideLinkContext {
  deps: ServiceDeps;
  linkSecret: string;
  /** PUBLIC_BASE_URL: the only origin links and forms use (never the Host header). */
  publicBaseUrl: string;
  /** Slows guessed links (malformed or unknown tokens) per address on their own bucket; a real link is always answered. */
  brake?: AuthBrake;
}

export interface DecideLinkRequest {
  method: string;
  token: string;
  headers: IncomingHttpHeaders;
  /** The urlencoded form body of a POST. */
  form?: Record<string, string>;
  /** The client address (the brake's), for guessed links. */
  address?: string;
}

const CSRF_COOKIE = 'sre_dl';
const PATH_PREFIX = '/sre/decide/';

function csrfFor(ctx: DecideLinkContext, tokenHash: string, n: string): string {
  return sign(ctx.linkSecret, 'decide-csrf', `${tokenHash}.${n}`);
}

function verb(d: DecisionLink['decision'], p: Pick<ProposalView, 'mode'>): string {
  const v = decisionVerbs(p);
  return d === 'approve' ? v.approve : v.reject;
}

function message(res: ServerResponse, status: number, title: string, text: Html | string, head = false, extra?: Html): void {
  sendHtml(res, status, page(title, html`<div class="card ${status >= 400 ? 'error' : 'ok'}"><h1>${title}</h1><p>${text}</p></div>${extra ?? ''}`), { head });
}

const REFUSED: Record<'malformed' | 'unknown' | 'expired' | 'used', [number, string, string]> = {
  malformed: [400, 'This link is malformed', 'The link is incomplete or was changed. Open the link from the email again, or decide in the console.'],
  unknown: [404, 'This link is not valid', 'No decision link matches it. It may have been changed, or it belongs to another installation.'],
  expired: [410, 'This link has expired', 'Decision links expire. Decide in the console or in Slack instead.'],
  used: [410, 'This link was already used', 'Each decision link works once. Nothing was changed this time.'],
};

function alreadyDecided(res: ServerResponse, p: ProposalView, head: boolean): void {
  message(
    res,
    409,
    p.status === 'expired' || p.status === 'superseded' ? 'No action taken' : 'Already decided',
    p.decided_by ? html`This proposal is ${statusText(p.status)} (by ${p.decided_by} at ${p.decided_at ?? ''}). Nothing was changed.` : html`This proposal is ${statusText(p.status)}. Nothing was changed.`,
    head,
    html`<div class="card">${proposalSummary(p)}</div>`,
  );
}

/** Handles one parsed request for /sre/decide/:token (GET, HEAD, POST). */
export async function handleDecideLink(req: DecideLinkRequest, res: ServerResponse, ctx: DecideLinkContext): Promise<void> {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head && req.method !== 'POST') {
    res.writeHead(405, { allow: 'GET, HEAD, POST' });
    res.end();
    return;
  }
  const seen = await readDecisionLink(ctx.deps, { linkSecret: ctx.linkSecret, token: req.token });
  if (seen.outcome === 'refused' && (seen.reason === 'malformed' || seen.reason === 'unknown') && ctx.brake && req.address !== undefined) {
    const wait = ctx.brake.retryAfter(req.address, 'decision_link');
    if (wait > 0) {
      ctx.brake.throttled('decision_link');
      res.setHeader('retry-after', String(wait));
      return message(res, 429, 'Too many attempts', `Too many links that are not valid came from your address. Wait ${wait} seconds, then try again.`, head);
    }
    ctx.brake.fail(req.address, 'decision_link');
  }
  if (seen.outcome !== 'open') return answerClosed(res, seen, head);
  if (req.method !== 'POST') return confirmationPage(req, res, ctx, seen.link, seen.proposal, head);

  const form = req.form ?? {};
  const n = parseCookies(req.headers)[CSRF_COOKIE];
  if (!sameOrigin(req.headers, ctx.publicBaseUrl) || !n || !form.csrf || !safeEqual(form.csrf, csrfFor(ctx, seen.link.tokenHash, n))) {
    message(res, 403, 'Confirmation expired', html`Open the link from the email again and press the button on that page. Nothing was changed.`);
    return;
  }
  try {
    const r = await decideByLink(ctx.deps, {
      linkSecret: ctx.linkSecret,
      token: req.token,
      proposalId: form.proposal_id ?? '',
      decision: form.decision ?? '',
      reason: form.reason?.trim().slice(0, 500) || undefined,
    });
    answerDecision(res, r);
  } catch (e) {
    // Nothing committed: the link still works.
    const ref = nonce().slice(0, 8);
    ctx.deps.logger.error({ err: e, ref, proposal_id: seen.link.proposalId }, 'email-link decision failed');
    message(res, 500, 'Something went wrong', `Nothing was decided. Try the link again in a moment (reference ${ref}).`);
  }
}

function answerClosed(res: ServerResponse, v: Exclude<LinkView, { outcome: 'open' }>, head: boolean): void {
  if (v.outcome === 'refused') {
    const [status, title, text] = REFUSED[v.reason];
    return message(res, status, title, text, head);
  }
  if (v.outcome === 'missing') return message(res, 404, 'Proposal not found', 'The proposal this link was made for no longer exists.', head);
  alreadyDecided(res, v.proposal, head);
}

function confirmationPage(req: DecideLinkRequest, res: ServerResponse, ctx: DecideLinkContext, link: DecisionLink, proposal: ProposalView, head: boolean): void {
  const existing = parseCookies(req.headers)[CSRF_COOKIE];
  const n = existing && /^[A-Za-z0-9_-]{24}$/.test(existing) ? existing : nonce();
  const secure = ctx.publicBaseUrl.startsWith('https:');
  const action = `${ctx.publicBaseUrl}${PATH_PREFIX}${req.token}`;
  const body = html`<div class="card"><h1>${verb(link.decision, proposal)} this proposal?</h1>
<p class="meta">This link was sent to <strong>${link.recipient}</strong> and records them as the operator. It works once and expires at ${link.expiresAt.toISOString()}.</p></div>
<div class="card">${proposalSummary(proposal)}</div>
<form method="post" action="${action}" class="card">
<input type="hidden" name="csrf" value="${csrfFor(ctx, link.tokenHash, n)}">
<input type="hidden" name="proposal_id" value="${proposal.id}">
<input type="hidden" name="decision" value="${link.decision}">
${link.decision === 'reject' ? html`<p><label>Reason (optional)<br><input type="text" name="reason" maxlength="500"></label></p>` : ''}
<p class="actions"><button type="submit" class="${link.decision}">${verb(link.decision, proposal)} ${proposal.action} on ${proposal.target}</button></p>
</form>`;
  sendHtml(res, 200, page(`${verb(link.decision, proposal)} proposal`, body), {
    head,
    headers: existing === n ? {} : { 'set-cookie': cookie(CSRF_COOKIE, n, { path: PATH_PREFIX, secure, maxAgeS: 3600 }) },
  });
}

function answerDecision(res: ServerResponse, r: LinkDecision): void {
  switch (r.outcome) {
    case 'mismatch':
      return message(res, 400, 'This link is for a different decision', 'The link is bound to one proposal and one decision. Nothing was changed.');
    case 'refused':
      return message(res, 410, REFUSED.used[1], REFUSED.used[2]);
    case 'missing':
    case 'not_pending':
      return answerClosed(res, r, false);
    case 'refused_by_agent': {
      const { error } = r;
      if (r.linkReleased) return message(res, 423, 'Paused', `${error.message} This link still works once the agent is resumed.`);
      return message(res, ERROR_TABLE[error.code].http, 'Not decided', error.message);
    }
    case 'decided': {
      const after = r.proposal;
      const shadow = after.mode === 'shadow';
      const title = r.link.decision === 'reject' ? (shadow ? 'Recorded: would reject' : 'Rejected') : after.status === 'pending' ? 'Approval recorded' : shadow ? 'Recorded: would approve' : 'Approved';
      const next = after.status === 'pending' && r.link.decision === 'approve' ? ' A second person must approve before it executes.' : '';
      return message(res, 200, title, html`Recorded as ${r.link.recipient}. The proposal is now ${statusText(after.status)}.${next}`, false, html`<div class="card">${proposalSummary(after)}</div>`);
    }
  }
}

/** Routes a raw request: answers /sre/decide/:token and returns true, or returns false for any other path. */
export async function routeDecideLink(req: IncomingMessage, res: ServerResponse, url: URL, ctx: DecideLinkContext): Promise<boolean> {
  if (!url.pathname.startsWith(PATH_PREFIX)) return false;
  const token = url.pathname.slice(PATH_PREFIX.length);
  let form: Record<string, string> | undefined;
  if (req.method === 'POST') {
    try {
      form = await readForm(req);
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        message(res, 413, 'Too large', 'The form was too large. Nothing was changed.');
        return true;
      }
      throw e;
    }
  }
  const address = ctx.brake?.address(req);
  await handleDecideLink({ method: req.method ?? 'GET', token, headers: req.headers, form, ...(address !== undefined ? { address } : {}) }, res, ctx);
  return true;
}
