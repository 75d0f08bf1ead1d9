import { httpStatusOf, isDomainError } from '../../../domain/errors.js';
import { decide, pause, resume, revert } from '../../../proposals/index.js';
import { redirect, sendHtml } from '../http.js';
import { messagePage, nav } from '../pages.js';
import type { SignedInRequest } from './types.js';

/** The console's verbs: a decision on a proposal, and the kill switch, as the signed-in operator. */

const actorOf = (c: SignedInRequest) => ({ type: 'user', name: c.session.user, via: 'console' }) as const;

/** POST /sre/proposals/:id/decision {decision, reason}. */
export async function decision(c: SignedInRequest): Promise<void> {
  const { app, res, form: f } = c;
  const id = c.params.id!;
  const again = (status: number, error: string) => app.pages.proposal(res, { ...c.viewer, head: false }, id, { status, error });
  if (f.decision !== 'approve' && f.decision !== 'reject') return again(400, 'Choose approve or reject.');
  try {
    const after = await decide(app.deps, { proposalId: id, decision: f.decision, reason: f.reason?.trim() || undefined, actor: actorOf(c) });
    const done = after.status === 'rejected' ? 'rejected' : after.status === 'pending' ? 'recorded' : 'approved';
    redirect(res, `/sre/proposals/${encodeURIComponent(id)}?done=${done}`);
  } catch (e) {
    if (!isDomainError(e)) throw e;
    const by = typeof e.details?.decided_by === 'string' ? ` by ${e.details.decided_by}` : '';
    return again(httpStatusOf(e), e.code === 'already_decided' ? `Already decided${by}. Nothing was changed.` : e.message);
  }
}

/** POST /sre/proposals/:id/revert {reason}: the API's revert, as the signed-in operator (a two-person action needs the reason). */
export async function revertAction(c: SignedInRequest): Promise<void> {
  const { app, res, form: f } = c;
  const id = c.params.id!;
  try {
    await revert(app.deps, { proposalId: id, reason: f.reason?.trim() || undefined, actor: actorOf(c) });
  } catch (e) {
    if (!isDomainError(e)) throw e;
    return app.pages.proposal(res, { ...c.viewer, head: false }, id, { status: httpStatusOf(e), error: `${e.message} Nothing was changed.` });
  }
  redirect(res, `/sre/proposals/${encodeURIComponent(id)}?done=reverted`);
}

async function killSwitch(c: SignedInRequest, verb: 'pause' | 'resume'): Promise<void> {
  const { app, res } = c;
  try {
    if (verb === 'pause') await pause(app.deps, { reason: c.form.reason ?? '', actor: actorOf(c) });
    else await resume(app.deps, { reason: c.form.reason ?? '', actor: actorOf(c) });
  } catch (e) {
    if (!isDomainError(e)) throw e;
    const navHtml = nav(c.viewer.user, c.viewer.csrf);
    return sendHtml(res, e.code === 'invalid' ? 400 : e.code === 'forbidden' ? 403 : 409, messagePage(verb === 'pause' ? 'Not paused' : 'Not resumed', `${e.message} Nothing was changed.`, 'error', navHtml));
  }
  redirect(res, `/sre?done=${verb === 'pause' ? 'paused' : 'resumed'}`);
}

/** POST /sre/pause {reason}: nothing executes until resumed. */
export const pauseAgent = (c: SignedInRequest) => killSwitch(c, 'pause');
/** POST /sre/resume {reason}: execution back on (the approver rules name who may). */
export const resumeAgent = (c: SignedInRequest) => killSwitch(c, 'resume');
