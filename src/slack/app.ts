import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Logger } from 'pino';
import { type ServiceDeps } from '../proposals/index.js';
import { createApproverCheck } from './approvers.js';
import type { Installation, SlackContext } from './context.js';
import { registerListeners } from './listeners/index.js';
import { SlackHttpReceiver } from './receiver.js';

export interface SlackAppOptions {
  deps: ServiceDeps;
  botToken: string;
  /** HTTP mode (POST /slack/events): required unless appToken is set. */
  signingSecret?: string | undefined;
  /** Socket Mode when set (xapp-…). */
  appToken?: string | undefined;
  /** SLACK_API_URL, e.g. https://slack.com/api/ */
  apiUrl: string;
  incidentChannel?: string | undefined;
  approvers: readonly string[];
  logger: Logger;
  /** How long a user group's members are trusted before a new look-up. */
  approverCacheMs?: number;
  /** Clock for signature timestamps (tests). */
  now?: () => number;
}

export interface SlackApp {
  /** HTTP mode only: mount at POST /slack/events, before any body parser. */
  handler?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  client: WebClient;
  /** auth.test, once: the installed workspace and the bot's own ids. */
  installation(): Promise<Installation>;
  /** Resolves when listeners started by earlier requests have finished. */
  idle(): Promise<void>;
}

/**
 * Web API client options shared by listeners and the outbox adapter: no hidden retries and no
 * silent waiting on 429 inside the client, because the outbox owns retries and Retry-After.
 */
export function slackClientOptions(apiUrl: string, logger: Logger): WebClientOptions {
  return {
    slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
    logger: boltLogger(logger),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  };
}

/** Bolt and the Web API speak @slack/logger; route it into pino (never logs tokens: bodies stay debug). */
export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'slack' });
  let level = LogLevel.INFO;
  const fmt = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: (...m: unknown[]) => child.debug(fmt(m)),
    info: (...m: unknown[]) => child.info(fmt(m)),
    warn: (...m: unknown[]) => child.warn(fmt(m)),
    error: (...m: unknown[]) => child.error(fmt(m)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

export function createSlackApp(opts: SlackAppOptions): SlackApp {
  const logger = opts.logger.child({ component: 'slack' });
  const clientOptions = slackClientOptions(opts.apiUrl, opts.logger);
  const client = new WebClient(opts.botToken, clientOptions);
  const socketMode = Boolean(opts.appToken);
  if (!socketMode && !opts.signingSecret) throw new Error('Slack over HTTP needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)');

  let auth: Promise<Installation> | undefined;
  const installation = (): Promise<Installation> => {
    auth ??= client.auth
      .test()
      .then((r) => {
        if (!r.ok || !r.team_id || !r.user_id) throw new Error(`auth.test: ${r.error ?? 'no team'}`);
        return { teamId: r.team_id, botUserId: r.user_id, botId: r.bot_id, url: r.url };
      })
      .catch((e: unknown) => {
        // Not cached: the next request tries again; until then decisions fail closed.
        auth = undefined;
        throw e;
      });
    return auth;
  };

  const ctx: SlackContext = {
    deps: opts.deps,
    client,
    installation,
    logger,
    incidentChannel: opts.incidentChannel,
    approvers: createApproverCheck({
      client,
      approvers: opts.approvers,
      installedTeam: async () => (await installation()).teamId,
      logger,
      ...(opts.approverCacheMs !== undefined ? { cacheMs: opts.approverCacheMs } : {}),
    }),
  };

  // The service's approver rules (SRE_APPROVER_RULES) name Slack groups too: lend them this look-up.
  opts.deps.groupMembers ??= (group) => ctx.approvers.members(group);
  opts.deps.slackEmail ??= (userId) => ctx.approvers.email(userId);

  const receiver = socketMode ? undefined : new SlackHttpReceiver({ signingSecret: opts.signingSecret!, logger, ...(opts.now ? { now: opts.now } : {}) });
  const app = new App({
    ...(receiver ? { receiver } : { socketMode: true, appToken: opts.appToken! }),
    logger: boltLogger(opts.logger),
    clientOptions: { ...clientOptions },
    // One workspace, one token: Bolt learns our bot ids from the same auth.test (ignoreSelf uses them).
    authorize: async () => {
      const inst = await installation();
      return { botToken: opts.botToken, botUserId: inst.botUserId, botId: inst.botId, teamId: inst.teamId };
    },
  });
  app.error(async (e) => {
    logger.error({ err: e }, 'slack listener error');
  });
  registerListeners(app, ctx);

  return {
    ...(receiver ? { handler: receiver.handle } : {}),
    client,
    installation,
    async start() {
      try {
        const inst = await installation();
        logger.info({ team: inst.teamId, bot_user: inst.botUserId, mode: socketMode ? 'socket' : 'http', channel: opts.incidentChannel ?? null }, 'slack connected');
      } catch (e) {
        logger.error({ err: e }, 'slack auth.test failed: decisions from Slack are refused until it succeeds');
      }
      if (socketMode) await app.start();
    },
    async stop() {
      if (socketMode) await app.stop();
      else await receiver?.idle();
    },
    idle: () => receiver?.idle() ?? Promise.resolve(),
  };
}
