import type { Channel, NotificationKind } from '../domain/notifications.js';

/** One undelivered outbox row as an adapter sees it. Adapters render the current state from the db. */
export interface OutboxRow {
  id: number;
  channel: Channel;
  kind: NotificationKind;
  incidentId: string | null;
  proposalId: string | null;
  payload: Record<string, unknown>;
  attempts: number;
  createdAt: Date;
}

export type DeliveryOutcome =
  | { status: 'sent'; result?: Record<string, unknown> }
  /** Nothing to send (e.g. the channel does not care about this kind, or the state moved on). */
  | { status: 'skipped'; reason: string };

/** Try again later; `retryAfterMs` (e.g. Slack's Retry-After) overrides the backoff. */
export class RetryableDeliveryError extends Error {
  constructor(message: string, readonly retryAfterMs?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableDeliveryError';
  }
}

/** Will never succeed (4xx other than 429, bad configuration): the row goes dead at once. */
export class PermanentDeliveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentDeliveryError';
  }
}

export interface ChannelAdapter {
  readonly channel: Channel;
  /** Rows with the same pace key are delivered one at a time, at most one per paceMs (Slack: per channel). */
  paceKey?(row: OutboxRow): string | undefined;
  readonly paceMs?: number;
  deliver(row: OutboxRow): Promise<DeliveryOutcome>;
}
