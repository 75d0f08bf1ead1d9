import { withoutTrailingSlashes } from '../../domain/text.js';
import { agentStatus } from '../../proposals/index.js';
import { nonce, sendHtml } from './http.js';
import { killSwitchPanel } from './kill-switch.js';
import type { Console, ConsoleOptions } from './options.js';
import { messagePage } from './pages.js';
import { createPages } from './pages/index.js';
import { compileRoutes, dispatch } from './routes/dispatch.js';
import { CONSOLE_ROUTES } from './routes/table.js';
import type { ConsoleApp } from './routes/types.js';

/**
 * The operator console under /sre: server-rendered, no script, CSRF on every POST, a signed
 * HttpOnly SameSite=Strict session cookie. Thin: each route (routes/table.ts) parses input and
 * calls one verb.
 */

export type { Console, ConsoleOptions } from './options.js';

const COMPILED = compileRoutes(CONSOLE_ROUTES);

export function createConsole(opts: ConsoleOptions): Console {
  const { deps } = opts;
  const base = withoutTrailingSlashes(opts.publicBaseUrl);
  const log = deps.logger.child({ component: 'console' });
  // The SRE Agent pages (overview, incidents, proposal) live in ./pages/: reads only.
  const pages = createPages({
    deps,
    publicBaseUrl: base,
    pauseState:
      opts.pauseState ??
      (async () => {
        const st = await agentStatus(deps);
        return { paused: st.paused, by: st.paused_by, reason: st.paused_reason, at: st.paused_at };
      }),
    killSwitch: async (csrf) => killSwitchPanel(await agentStatus(deps), csrf),
    traceUrl: opts.traceUrl,
  });
  const app: ConsoleApp = { opts, deps, base, secure: base.startsWith('https:'), secret: opts.sessionSecret, log, pages };

  return {
    async handle(req, res, url) {
      try {
        return await dispatch(app, COMPILED, req, res, url);
      } catch (e) {
        const ref = nonce().slice(0, 8);
        log.error({ err: e, ref }, 'console request failed');
        if (!res.headersSent) sendHtml(res, 500, messagePage('Something went wrong', `Nothing was changed. Reference ${ref}.`));
        else res.destroy();
        return true;
      }
    },
  };
}
