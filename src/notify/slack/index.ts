import { systemClock, type Clock } from '../../clock.js';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { getProposal, listProposals } from '../../proposals/queries.js';
import type { ProposalView } from '../../domain/proposal-view.js';
import { reasoningLateness } from '../../domain/lateness.js';
import { actionInWords } from '../../domain/words.js';
import { escapeMrkdwn, truncate } from '../../slack/blocks/escape.js';
import type { ChannelAdapter, DeliveryOutcome, OutboxRow } from '../adapter.js';
import { classifySlackError } from './errors.js';
import { renderCard, renderEscalation, renderReply, renderRoot, type RenderContext } from './render.js';
import { createSlackSender, type IncidentRow, type Thread } from './send.js';

export { classifySlackError } from './errors.js';

export interface SlackAdapterOptions {
  db: Db;
  client: WebClient;
  /** SLACK_INCIDENT_CHANNEL: where new incident threads start. */
  channel: string;
  publicBaseUrl: string;
  logger: Logger;
  /** The agent's clock, for how long reasoning has taken so far and the time left to decide. */
  clock?: Clock;
  /** The risk threshold and auto-approve, so a card can say where its score stands. */
  policy?: { riskThreshold: number; autoApprove: boolean };
}

/**
 * The Slack side of the outbox. Each row is rendered from the current state in the database, so a
 * late or retried row shows the truth: one root message per incident (its announcement, edited in
 * place as the state moves), the card in its thread (its reasoning in two lines, the whole one click away), the card edited after
 * decisions and executions. Rendering is render.ts (pure); posting and edits are send.ts.
 */
export function createSlackAdapter(opts: SlackAdapterOptions): ChannelAdapter {
  const { db } = opts;
  const clock = opts.clock ?? systemClock;
  const send = createSlackSender(opts);
  const reads = { db, publicBaseUrl: opts.publicBaseUrl };
  const ctx = (): RenderContext => ({ now: clock.now(), policy: opts.policy });

  async function rootMessage(i: IncidentRow) {
    const proposals = await listProposals(reads, { incidentId: i.id, limit: 20 });
    const reasoning = reasoningLateness({ status: i.status, openedAt: i.openedAt, hasProposal: proposals.length > 0 }, clock.now());
    const incident = { id: i.id, type: i.type, subject: i.subject, status: i.status, first_seen: i.firstSeen.toISOString(), last_seen: i.lastSeen.toISOString(), event_count: i.eventCount, latest: i.latest };
    return { message: renderRoot({ incident, proposals, reasoning }, ctx()), proposals };
  }
  const parentOf = (incidentId: string) => send.ensureParent(incidentId, async (i) => (await rootMessage(i)).message);
  /** Brings the root up to date; send.edit skips it when nothing a reader sees changed. */
  async function refreshRoot(i: IncidentRow, thread: Thread) {
    await send.edit(thread, (await rootMessage(i)).message);
  }
  const proposalOf = async (row: OutboxRow) => (row.proposalId ? await getProposal(reads, row.proposalId) : undefined);

  async function proposalCreated(row: OutboxRow): Promise<DeliveryOutcome> {
    const p = await proposalOf(row);
    if (!p) return { status: 'skipped', reason: 'proposal not found' };
    const parent = await parentOf(p.incident_id);
    if (!parent) return { status: 'skipped', reason: 'incident not found' };
    const card = await send.postOnce(p.id, 'card', parent.thread, renderCard(p, ctx()));
    // Already there (a retry, or a decision raced ahead): bring it up to date instead.
    if (!card.posted) await send.edit({ channel: parent.thread.channel, ts: card.ts }, renderCard(p, ctx()));
    if (!parent.posted) await refreshRoot(parent.incident, parent.thread);
    return { status: 'sent', result: { channel: parent.thread.channel, thread_ts: parent.thread.ts, card_ts: card.ts } };
  }

  async function refreshCard(row: OutboxRow): Promise<DeliveryOutcome> {
    const p = await proposalOf(row);
    if (!p) return { status: 'skipped', reason: 'proposal not found' };
    const parent = await parentOf(p.incident_id);
    if (!parent) return { status: 'skipped', reason: 'incident not found' };
    const msg = renderCard(p, ctx());
    const known = await send.remembered(p.id, 'card');
    let cardTs: string;
    if (known) {
      await send.edit(known, msg);
      cardTs = known.ts;
    } else {
      cardTs = (await send.postOnce(p.id, 'card', parent.thread, msg)).ts;
    }
    if (row.kind === 'proposal.escalated' && p.status === 'pending') await send.post(parent.thread.channel, renderEscalation(p, ctx(), row.payload), parent.thread.ts);
    await refreshRoot(parent.incident, parent.thread);
    return { status: 'sent', result: { channel: parent.thread.channel, card_ts: cardTs, status: p.status } };
  }

  /** Incident rows: the root, and on close every card of the incident loses its buttons. */
  async function summary(row: OutboxRow): Promise<DeliveryOutcome> {
    if (!row.incidentId) return { status: 'skipped', reason: 'no incident' };
    const parent = await parentOf(row.incidentId);
    if (!parent) return { status: 'skipped', reason: 'incident not found' };
    if (!parent.posted) {
      if (row.kind === 'incident.opened') return { status: 'skipped', reason: 'parent already posted' };
      const { message, proposals } = await rootMessage(parent.incident);
      await send.edit(parent.thread, message);
      if (row.kind === 'incident.closed') await closeCards(proposals);
    }
    return { status: 'sent', result: { channel: parent.thread.channel, ts: parent.thread.ts } };
  }

  async function closeCards(proposals: readonly ProposalView[]) {
    for (const p of proposals) {
      const known = await send.remembered(p.id, 'card');
      if (known) await send.edit(known, renderCard(p, ctx()));
    }
  }

  async function threadReply(row: OutboxRow): Promise<DeliveryOutcome> {
    if (!row.incidentId) return { status: 'skipped', reason: 'no incident' };
    const text = typeof row.payload.text === 'string' ? row.payload.text : '';
    if (!text) return { status: 'skipped', reason: 'empty reply' };
    const parent = await parentOf(row.incidentId);
    if (!parent) return { status: 'skipped', reason: 'incident not found' };
    // Model text: escaped like everything else, and cut below Slack's 4,000-character advice.
    const live = await listProposals(reads, { incidentId: row.incidentId, limit: 20 });
    // A note about one proposal (the verifier's) names its action in words, not by id and target.
    const about = row.proposalId ? live.find((x) => x.id === row.proposalId) : undefined;
    const worded = about ? text.split(`${about.action} on ${about.target}`).join(actionInWords(about.action, about.params)) : text;
    const r = await send.post(parent.thread.channel, renderReply(truncate(escapeMrkdwn(worded), 3900), live, ctx()), parent.thread.ts);
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
