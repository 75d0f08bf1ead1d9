import { noticeOf } from '../pages/index.js';
import { decision, pauseAgent, resumeAgent, revertAction } from './decision.js';
import { audit, auditCsv, incidentReportRoute, notifications, report } from './reads.js';
import { silenceEnd, silenceMake, silencesList } from './silences.js';
import { login, loginExpired, loginMethodNotAllowed, logout, logoutExpired, signInPage } from './sign-in.js';
import type { ConsoleRoute } from './types.js';

/**
 * Every console route under /sre, in one table the dispatcher walks in order (email decision
 * links under /sre/decide are mounted before it). A path no route takes answers 404 once signed in.
 */
export const CONSOLE_ROUTES: readonly ConsoleRoute[] = [
  { method: 'GET', path: '/sre/login', session: false, head: true, run: signInPage },
  { method: 'POST', path: '/sre/login', session: false, form: 'login', expired: loginExpired, run: login },
  { method: 'ANY', path: '/sre/login', session: false, run: loginMethodNotAllowed },
  { method: 'POST', path: '/sre/logout', session: true, form: 'session', expired: logoutExpired, run: logout },
  { method: 'GET', path: '/sre', session: true, head: true, run: ({ app, res, url, viewer }) => app.pages.overview(res, url, viewer) },
  { method: 'GET', path: '/sre/incidents', session: true, head: true, run: ({ app, res, url, viewer }) => app.pages.incidents(res, url, viewer) },
  { method: 'GET', path: '/sre/incidents/:id/report', session: true, head: true, run: incidentReportRoute },
  { method: 'GET', path: '/sre/proposals/:id', session: true, head: true, run: ({ app, res, url, viewer, params }) => app.pages.proposal(res, viewer, params.id!, { notice: noticeOf(url) }) },
  { method: 'POST', path: '/sre/proposals/:id/decision', session: true, form: 'session', run: decision },
  { method: 'POST', path: '/sre/proposals/:id/revert', session: true, form: 'session', run: revertAction },
  { method: 'GET', path: '/sre/audit', session: true, head: true, run: audit },
  { method: 'GET', path: '/sre/audit.csv', session: true, run: auditCsv },
  { method: 'GET', path: '/sre/notifications', session: true, head: true, run: notifications },
  { method: 'GET', path: '/sre/report', session: true, head: true, run: report },
  { method: 'POST', path: '/sre/pause', session: true, form: 'session', run: pauseAgent },
  { method: 'POST', path: '/sre/resume', session: true, form: 'session', run: resumeAgent },
  { method: 'GET', path: '/sre/silences', session: true, head: true, run: silencesList },
  { method: 'POST', path: '/sre/silences', session: true, form: 'session', run: silenceMake },
  { method: 'POST', path: '/sre/silences/:id/end', session: true, form: 'session', run: silenceEnd },
];
