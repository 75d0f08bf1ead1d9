import { systemClock, type Clock } from '../../clock.js';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import type { ChannelAdapter, DeliveryOutcome, OutboxRow } from '../adapter.js';
import { proposalCreated, refreshCard, summary, threadReply, type Delivery } from './deliver.js';
import { classifySlackError } from './errors.js';
import { createSlackSender } from './send.js';

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
  policy?: { riskThreshold: number; autoApprove: boolean; timeZone?: string };
}

/**
 * The Slack side of the outbox. Each row is rendered from the current state in the database, so a
 * late or retried row shows the truth: one root message per incident (its announcement, edited in
 * place as the state moves), one card in its thread edited after decisions and executions.
 * Row kinds are deliver.ts; rendering is render.ts (pure); posting and edits are send.ts.
 */
export function createSlackAdapter(opts: SlackAdapterOptions): ChannelAdapter {
  const clock = opts.clock ?? systemClock;
  const d: Delivery = { send: createSlackSender(opts), reads: { db: opts.db, publicBaseUrl: opts.publicBaseUrl }, clock, ctx: () => ({ now: clock.now(), policy: opts.policy }) };

  async function route(row: OutboxRow): Promise<DeliveryOutcome> {
    switch (row.kind) {
      case 'incident.opened':
      case 'incident.updated':
      case 'incident.closed':
        return summary(d, row);
      case 'proposal.created':
        return proposalCreated(d, row);
      case 'proposal.decided':
      case 'proposal.superseded':
      case 'proposal.expired':
      case 'proposal.escalated':
      case 'execution.finished':
        return refreshCard(d, row);
      case 'thread.reply':
        return threadReply(d, row);
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
