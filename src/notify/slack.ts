import { systemClock, type Clock } from '../clock.js';
import { silenceLine } from '../domain/silences.js';
import { and, eq, isNull } from 'drizzle-orm';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { schema, type Db } from '../db/client.js';
import { getIncident, getProposal } from '../proposals/index.js';
import type { ProposalView } from '../domain/proposal-view.js';
import { reasoningLateness, REASONING_LATE_AFTER_MS } from '../domain/lateness.js';
import { escapeMrkdwn, slackDate, truncate } from '../slack/blocks/escape.js';
import { buildIncidentSummary, type IncidentSummaryInput } from '../slack/blocks/incident-summary.js';
import type { SlackMessage } from '../slack/blocks/message.js';
import { buildProposalCard } from '../slack/blocks/proposal-card.js';
import { buildReasoning } from '../slack/blocks/reasoning.js';
import { PermanentDeliveryError, RetryableDeliveryError, type ChannelAdapter, type DeliveryOutcome, type OutboxRow } from './adapter.js';

export interface SlackAdapterOptions {
  db: Db;
  client: WebClient;
  /** SLACK_INCIDENT_CHANNEL: where new incident threads start. */
  channel: string;
  publicBaseUrl: string;
  logger: Logger;
  /** The agent's clock, for how long reasoning has taken so far. */
  clock?: Clock;
  /** The operators' time zone (SRE_TIMEZONE), for "silenced until 02:00"; UTC when absent. */
  timeZone?: string;
}

type IncidentRow = typeof schema.incidents.$inferSelect;
interface Thread {
  channel: string;
  ts: string;
}

/** Errors that a later attempt can fix; every other Slack error is about our request or setup. */
const TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'team_added_to_org', 'rate_limited']);

/** Maps a Web API failure onto the outbox's retry vocabulary; 429 keeps Slack's Retry-After. */
export function classifySlackError(e: unknown): Error {
  if (e instanceof RetryableDeliveryError || e instanceof PermanentDeliveryError) return e;
  const err = e as { code?: string; retryAfter?: number; statusCode?: number; data?: { error?: string }; message?: string };
  switch (err.code) {
    case 'slack_webapi_rate_limited_error':
      return new RetryableDeliveryError('slack rate limited', Math.max(1, err.retryAfter ?? 1) * 1000, { cause: e });
    case 'slack_webapi_platform_error': {
      const code = err.data?.error ?? 'unknown_error';
      return TRANSIENT.has(code) ? new RetryableDeliveryError(`slack: ${code}`, undefined, { cause: e }) : new PermanentDeliveryError(`slack: ${code}`, { cause: e });
    }
    case 'slack_webapi_http_error':
      return (err.statusCode ?? 500) >= 500 || err.statusCode === 408
        ? new RetryableDeliveryError(`slack http ${err.statusCode}`, undefined, { cause: e })
        : new PermanentDeliveryError(`slack http ${err.statusCode}`, { cause: e });
    case 'slack_webapi_request_error':
      return new RetryableDeliveryError('slack unreachable', undefined, { cause: e });
    default:
      return new RetryableDeliveryError(`slack delivery failed: ${err.message ?? String(e)}`.slice(0, 300), undefined, { cause: e });
  }
}

function summaryOf(i: IncidentRow, at: Date, timeZone: string): IncidentSummaryInput {
  const s = i.status === 'open' ? i.silence : null;
  return {
    ...(s ? { silenced: silenceLine({ until: new Date(s.until), by: s.by, reason: s.reason }, at, timeZone) } : {}),
    id: i.id,
    type: i.type,
    subject: i.subject,
    status: i.status,
    first_seen: i.firstSeen.toISOString(),
    last_seen: i.lastSeen.toISOString(),
    event_count: i.eventCount,
    latest: i.latest,
  };
}

/**
 * The Slack side of the outbox. Each row is rendered from the current state in the database, so a
 * late or retried row shows the truth: one parent message per incident (summary edited in place),
 * the reasoning and the card in its thread, the card edited after decisions and executions.
 */
export function createSlackAdapter(opts: SlackAdapterOptions): ChannelAdapter {
  const { db, client, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now();
  const zone = opts.timeZone ?? 'UTC';

  /** The summary as it stands, saying "reasoning, N s so far" while the first proposal is late. */
  async function summaryMessage(i: IncidentRow): Promise<SlackMessage> {
    if (i.status !== 'open') return buildIncidentSummary(summaryOf(i, now(), zone));
    const [p] = await db.select({ id: schema.proposals.id }).from(schema.proposals).where(eq(schema.proposals.incidentId, i.id)).limit(1);
    return buildIncidentSummary(summaryOf(i, now(), zone), undefined, reasoningLateness({ status: i.status, openedAt: i.openedAt, hasProposal: p !== undefined }, now()));
  }
  const post = (channel: string, msg: SlackMessage, threadTs?: string) =>
    client.chat.postMessage({ channel, text: msg.text, blocks: msg.blocks, unfurl_links: false, unfurl_media: false, ...(threadTs ? { thread_ts: threadTs } : {}) });

  /** The incident's parent message, posted once: the conditional UPDATE decides whose post stays. */
  async function ensureParent(incidentId: string): Promise<{ thread: Thread; posted: boolean; incident: IncidentRow } | undefined> {
    const inc = await getIncident(db, incidentId);
    if (!inc) return undefined;
    if (inc.slackChannel && inc.slackTs) return { thread: { channel: inc.slackChannel, ts: inc.slackTs }, posted: false, incident: inc };
    const r = await post(opts.channel, buildIncidentSummary(summaryOf(inc, now(), zone)));
    const thread = { channel: r.channel ?? opts.channel, ts: r.ts! };
    const won = await db
      .update(schema.incidents)
      .set({ slackChannel: thread.channel, slackTs: thread.ts })
      .where(and(eq(schema.incidents.id, incidentId), isNull(schema.incidents.slackTs)))
      .returning({ id: schema.incidents.id });
    if (won.length > 0) return { thread, posted: true, incident: inc };
    await client.chat.delete({ channel: thread.channel, ts: thread.ts }).catch((e: unknown) => logger.warn({ err: e, incident_id: incidentId }, 'could not remove a duplicate parent'));
    const again = await getIncident(db, incidentId);
    return again?.slackChannel && again.slackTs ? { thread: { channel: again.slackChannel, ts: again.slackTs }, posted: false, incident: again } : undefined;
  }

  async function remembered(proposalId: string, role: string): Promise<Thread | undefined> {
    const [m] = await db
      .select({ channel: schema.slackMessages.channel, ts: schema.slackMessages.ts })
      .from(schema.slackMessages)
      .where(and(eq(schema.slackMessages.proposalId, proposalId), eq(schema.slackMessages.role, role)))
      .limit(1);
    return m;
  }

  /** Posts a proposal's thread message once per role; a retry after success finds the record. */
  async function postOnce(p: ProposalView, role: 'reasoning' | 'card', thread: Thread, msg: SlackMessage): Promise<{ ts: string; posted: boolean }> {
    const had = await remembered(p.id, role);
    if (had) return { ts: had.ts, posted: false };
    const r = await post(thread.channel, msg, thread.ts);
    const ts = r.ts!;
    const ins = await db.insert(schema.slackMessages).values({ proposalId: p.id, role, channel: thread.channel, ts }).onConflictDoNothing().returning({ ts: schema.slackMessages.ts });
    if (ins.length === 0) {
      await client.chat.delete({ channel: thread.channel, ts }).catch(() => {});
      return { ts: (await remembered(p.id, role))?.ts ?? ts, posted: false };
    }
    return { ts, posted: true };
  }

  async function proposalCreated(row: OutboxRow): Promise<DeliveryOutcome> {
    const p = row.proposalId ? await getProposal({ db, publicBaseUrl: opts.publicBaseUrl }, row.proposalId) : undefined;
    if (!p) return { status: 'skipped', reason: 'proposal not found' };
    const parent = await ensureParent(p.incident_id);
    if (!parent) return { status: 'skipped', reason: 'incident not found' };
    const reasoning = await postOnce(p, 'reasoning', parent.thread, buildReasoning(p));
    const card = await postOnce(p, 'card', parent.thread, buildProposalCard(p));
    // Already there (a retry, or a decision raced ahead): bring it up to date instead.
    if (!card.posted) await client.chat.update({ channel: parent.thread.channel, ts: card.ts, ...buildProposalCard(p) });
    // A late proposal: the summary said "reasoning, N s so far"; it says so no longer.
    if (!parent.posted && card.posted && Date.parse(p.created_at) - parent.incident.openedAt.getTime() >= REASONING_LATE_AFTER_MS) {
      await client.chat.update({ channel: parent.thread.channel, ts: parent.thread.ts, ...(await summaryMessage(parent.incident)) });
    }
    return { status: 'sent', result: { channel: parent.thread.channel, thread_ts: parent.thread.ts, reasoning_ts: reasoning.ts, card_ts: card.ts } };
  }

  async function refreshCard(row: OutboxRow): Promise<DeliveryOutcome> {
    const p = row.proposalId ? await getProposal({ db, publicBaseUrl: opts.publicBaseUrl }, row.proposalId) : undefined;
    if (!p) return { status: 'skipped', reason: 'proposal not found' };
    const msg = buildProposalCard(p);
    const known = await remembered(p.id, 'card');
    let cardTs: string;
    let thread: Thread;
    if (known) {
      await client.chat.update({ channel: known.channel, ts: known.ts, text: msg.text, blocks: msg.blocks });
      cardTs = known.ts;
      thread = { channel: known.channel, ts: p.incident.slack_ts ?? known.ts };
    } else {
      const parent = await ensureParent(p.incident_id);
      if (!parent) return { status: 'skipped', reason: 'incident not found' };
      thread = parent.thread;
      cardTs = (await postOnce(p, 'card', parent.thread, msg)).ts;
    }
    if (row.kind === 'proposal.escalated' && p.status === 'pending') {
      const note = `:rotating_light: Still waiting for a decision on ${escapeMrkdwn(p.id)} (risk ${p.risk_score}) since ${slackDate(p.created_at)}; escalated to on-call.`;
      await post(thread.channel, { text: note, blocks: [] }, thread.ts);
    }
    return { status: 'sent', result: { channel: thread.channel, card_ts: cardTs, status: p.status } };
  }

  async function summary(row: OutboxRow): Promise<DeliveryOutcome> {
    if (!row.incidentId) return { status: 'skipped', reason: 'no incident' };
    const parent = await ensureParent(row.incidentId);
    if (!parent) return { status: 'skipped', reason: 'incident not found' };
    if (!parent.posted) {
      if (row.kind === 'incident.opened') return { status: 'skipped', reason: 'parent already posted' };
      await client.chat.update({ channel: parent.thread.channel, ts: parent.thread.ts, ...(await summaryMessage(parent.incident)) });
    }
    return { status: 'sent', result: { channel: parent.thread.channel, ts: parent.thread.ts } };
  }

  async function threadReply(row: OutboxRow): Promise<DeliveryOutcome> {
    if (!row.incidentId) return { status: 'skipped', reason: 'no incident' };
    const text = typeof row.payload.text === 'string' ? row.payload.text : '';
    if (!text) return { status: 'skipped', reason: 'empty reply' };
    const parent = await ensureParent(row.incidentId);
    if (!parent) return { status: 'skipped', reason: 'incident not found' };
    // Model text: escaped like everything else, and cut below Slack's 4,000-character advice.
    const safeText = truncate(escapeMrkdwn(text), 3900);
    const r = await client.chat.postMessage({ channel: parent.thread.channel, thread_ts: parent.thread.ts, text: safeText, unfurl_links: false, unfurl_media: false });
    return { status: 'sent', result: { channel: parent.thread.channel, ts: r.ts ?? null } };
  }

  async function route(row: OutboxRow): Promise<DeliveryOutcome> {
    switch (row.kind) {
      case 'incident.opened':
      case 'incident.updated':
      case 'incident.closed':
        return summary(row);
      case 'proposal.created':
        return proposalCreated(row);
      case 'proposal.decided':
      case 'proposal.superseded':
      case 'proposal.expired':
      case 'proposal.escalated':
      case 'execution.finished':
        return refreshCard(row);
      case 'thread.reply':
        return threadReply(row);
    }
  }

  return {
    channel: 'slack',
    paceMs: 1000,
    // Slack allows about one new message a second per channel; all incident threads share one
    // channel. Summary edits (chat.update) have their own lane, so they never delay a new post.
    paceKey: (row) => (row.kind === 'incident.updated' ? `${opts.channel}:summary-edits` : opts.channel),
    async deliver(row) {
      try {
        return await route(row);
      } catch (e) {
        throw classifySlackError(e);
      }
    },
  };
}
