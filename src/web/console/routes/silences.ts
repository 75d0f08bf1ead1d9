import { isDomainError, httpStatusOf } from '../../../domain/errors.js';
import { matcherTokens, parseSilenceDuration } from '../../../domain/silences.js';
import { createSilence, endSilence, listSilences } from '../../../silences/index.js';
import { redirect, sendHtml } from '../http.js';
import { silencesPage } from '../pages/silences.js';
import type { SignedInRequest } from './types.js';

/** The console's silences: every signed-in operator may decide proposals, so may make and end a silence. */

const NOTICES: Record<string, string> = { made: 'Silence made.', ended: 'Silence ended: incidents it alone held proceed.' };
const actorOf = (c: SignedInRequest) => ({ type: 'user', name: c.session.user, via: 'console' }) as const;

async function show(c: SignedInRequest, extra: { status?: number; error?: string; form?: Record<string, string> } = {}): Promise<void> {
  const { app, res, viewer, url } = c;
  const silences = await listSilences(app.deps);
  const notice = NOTICES[url.searchParams.get('done') ?? ''];
  const body = silencesPage({ user: viewer.user, csrf: viewer.csrf, now: app.deps.clock.now(), timeZone: app.deps.policy.timeZone, silences, ...(notice ? { notice } : {}), ...extra });
  sendHtml(res, extra.status ?? 200, body, { head: viewer.head });
}

/** GET /sre/silences. */
export const silencesList = (c: SignedInRequest) => show(c);

/** POST /sre/silences {matchers, for | schedule, reason}: 400 naming the problem, nothing stored. */
export async function silenceMake(c: SignedInRequest): Promise<void> {
  const f = c.form;
  const again = (status: number, error: string) => show({ ...c, viewer: { ...c.viewer, head: false } }, { status, error: `${error} Nothing was stored.`, form: f });
  const tokens = matcherTokens((f.matchers ?? '').trim().split(/\s+/).filter(Boolean));
  if (!tokens.ok) return again(400, `Matchers: ${tokens.problem}.`);
  const schedule = f.schedule?.trim() || undefined;
  const forText = f.for?.trim() ?? '';
  const forMs = schedule || !forText ? undefined : parseSilenceDuration(forText);
  if (!schedule && forMs === undefined) return again(400, forText ? `For: "${forText.slice(0, 30)}" is not a duration such as 90m, 2h or 1d.` : 'For: say how long (such as 2h), or give a weekly schedule.');
  try {
    await createSilence(c.app.deps, { matchers: tokens.value, reason: f.reason, schedule, ...(forMs !== undefined ? { forMs } : {}), actor: actorOf(c) });
  } catch (e) {
    if (!isDomainError(e)) throw e;
    return again(httpStatusOf(e), e.message);
  }
  redirect(c.res, '/sre/silences?done=made');
}

/** POST /sre/silences/:id/end. */
export async function silenceEnd(c: SignedInRequest): Promise<void> {
  try {
    await endSilence(c.app.deps, { id: c.params.id!, actor: actorOf(c) });
  } catch (e) {
    if (!isDomainError(e)) throw e;
    return show({ ...c, viewer: { ...c.viewer, head: false } }, { status: httpStatusOf(e), error: `${e.message}. Nothing was changed.` });
  }
  redirect(c.res, '/sre/silences?done=ended');
}
