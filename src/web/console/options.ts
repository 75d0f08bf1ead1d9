import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceDeps } from '../../proposals/index.js';
import type { AuthBrake } from '../brake.js';
import type { PauseState } from './pages/data.js';

export interface ConsoleOptions {
  deps: ServiceDeps;
  apiTokens: { name: string; token: string }[];
  sessionSecret: string;
  publicBaseUrl: string;
  /** When set, /sre/decide/:token (email links) is served here too. */
  linkSecret?: string;
  /**
   * No SRE_API_TOKENS: `apiTokens` holds the process's one-time token of the operator `local`,
   * and GET /sre/login?token=… (the link printed at start) signs in with it.
   */
  signInLink?: boolean;
  /** Slows repeated wrong tokens from one address (shared with the JSON API). */
  brake?: AuthBrake;
  /** SRE_TRACE_URL: the link template to a trace viewer (`{trace_id}` replaced) on the proposal and incident pages; unset: no link. */
  traceUrl?: string | undefined;
  /** The kill switch's state for the overview; unset: read from the database (agent_switch). */
  pauseState?: () => Promise<PauseState>;
}

export interface Console {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}
