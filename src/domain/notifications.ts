/**
 * Notification kinds written to the outbox, and which channels want which. A row says "tell
 * channel C about K for incident/proposal X"; the adapter renders the current state when it sends.
 */

export const NOTIFICATION_KINDS = [
  'incident.opened',
  'incident.updated',
  'incident.closed',
  'proposal.created',
  'proposal.decided',
  'proposal.superseded',
  'proposal.expired',
  'proposal.escalated',
  'execution.finished',
  'thread.reply',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const CHANNELS = ['slack', 'email', 'webhook', 'pagerduty'] as const;
export type Channel = (typeof CHANNELS)[number];

export const CHANNEL_INTERESTS: Readonly<Record<Channel, readonly NotificationKind[]>> = {
  slack: NOTIFICATION_KINDS,
  email: ['proposal.created', 'proposal.escalated'],
  webhook: ['incident.opened', 'proposal.created', 'proposal.decided', 'proposal.superseded', 'proposal.expired', 'proposal.escalated', 'execution.finished'],
  pagerduty: ['proposal.created', 'proposal.decided', 'proposal.superseded', 'proposal.expired', 'proposal.escalated'],
};
