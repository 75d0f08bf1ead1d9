import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { isDomainError } from '../domain/errors.js';
import type { Actor } from '../domain/proposal.js';
import { type ServiceDeps } from '../proposals/index.js';
import type { ApproverCheck } from './approvers.js';
import { escapeMrkdwn } from './blocks/escape.js';

/** What auth.test said about our installation. */
export interface Installation {
  teamId: string;
  botUserId: string;
  botId: string | undefined;
  /** https://acme.slack.com/ — the base of permalinks. */
  url: string | undefined;
}

/** What every listener gets: the service, the Web API client and the approver check. */
export interface SlackContext {
  deps: ServiceDeps;
  client: WebClient;
  approvers: ApproverCheck;
  installation: () => Promise<Installation>;
  logger: Logger;
  /** SLACK_INCIDENT_CHANNEL: where pause and resume are announced to everyone, not only the typist. */
  incidentChannel?: string | undefined;
}

export function slackActor(user: { id: string; teamId: string | undefined; name?: string | undefined }): Actor {
  const a: Actor = { type: 'slack', userId: user.id, teamId: user.teamId ?? 'unknown' };
  if (user.name) a.name = user.name.slice(0, 100);
  return a;
}

/** Where an ephemeral answer can go: the Web API when we know the channel, else the response_url. */
export interface Reply {
  user: string;
  channel?: string | undefined;
  threadTs?: string | undefined;
  responseUrl?: string | undefined;
}

/**
 * An ephemeral message to one user. chat.postEphemeral needs the bot in the channel, which holds
 * for incident threads; elsewhere (a /sre list in any channel) the response_url works.
 */
export async function tellUser(ctx: SlackContext, to: Reply, text: string): Promise<void> {
  const safeText = escapeMrkdwn(text).slice(0, 3000);
  if (to.channel) {
    try {
      await ctx.client.chat.postEphemeral({ channel: to.channel, user: to.user, text: safeText, ...(to.threadTs ? { thread_ts: to.threadTs } : {}) });
      return;
    } catch (e) {
      if (!to.responseUrl) {
        ctx.logger.warn({ err: e }, 'ephemeral message failed');
        return;
      }
    }
  }
  if (to.responseUrl) await respondTo(ctx, to.responseUrl, { response_type: 'ephemeral', replace_original: false, text: safeText });
}

/** POST to a response_url (valid 30 min, 5 uses). Only Slack's own hosts. */
export async function respondTo(ctx: SlackContext, url: string, body: Record<string, unknown>): Promise<void> {
  if (!isSlackResponseUrl(url)) {
    ctx.logger.warn('refusing a response_url outside slack.com');
    return;
  }
  try {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    if (!r.ok) ctx.logger.warn({ status: r.status }, 'response_url answered an error');
  } catch (e) {
    ctx.logger.warn({ err: e }, 'response_url failed');
  }
}

export function isSlackResponseUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && (u.hostname === 'slack.com' || u.hostname.endsWith('.slack.com') || u.hostname.endsWith('.slack-gov.com'));
  } catch {
    return false;
  }
}

/** A domain error's message is for users; anything else is logged and shown as an apology with a reference. */
export function userMessage(ctx: SlackContext, e: unknown, what: string): string {
  if (isDomainError(e)) return e.message;
  const ref = Math.random().toString(36).slice(2, 10);
  ctx.logger.error({ err: e, ref }, `${what} failed`);
  return `Sorry, ${what} failed (reference ${ref}). Try again, or use the console.`;
}

/** A Slack permalink to a thread, built from auth.test's workspace URL. */
export function threadUrl(inst: Installation | undefined, channel: string | null, ts: string | null): string | undefined {
  if (!inst?.url || !channel || !ts) return undefined;
  return `${inst.url.replace(/\/?$/, '/')}archives/${encodeURIComponent(channel)}/p${ts.replace('.', '')}`;
}
