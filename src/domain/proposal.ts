/** The proposal state machine (CONTRACT.md statuses). Every edge is one conditional UPDATE in the db. */

export const PROPOSAL_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'executing',
  'succeeded',
  'failed',
  'expired',
  'superseded',
  // A documented extension (CONTRACT.md allows extending): the re-check at decision time found the
  // present no longer matched the proposal, so nothing executed; stale_reason says why.
  'stale',
] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

export const TRANSITIONS: Readonly<Record<ProposalStatus, readonly ProposalStatus[]>> = {
  pending: ['approved', 'rejected', 'expired', 'superseded'],
  // approved → pending: an automatic approval held by a brake (pause, cooldown, hourly cap) waits for a human.
  approved: ['executing', 'stale', 'pending'],
  executing: ['succeeded', 'failed'],
  rejected: [],
  succeeded: [],
  failed: [],
  expired: [],
  superseded: [],
  stale: [],
};

export function canTransition(from: ProposalStatus, to: ProposalStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export const DECISIONS = ['approve', 'reject'] as const;
export type Decision = (typeof DECISIONS)[number];

/** Who did something. The name is what the audit trail records as the operator. */
export type Actor =
  | { type: 'user'; name: string; via: 'api' | 'console' | 'cli' }
  | { type: 'slack'; userId: string; teamId: string; name?: string }
  | { type: 'email'; recipient: string }
  | { type: 'system'; name: 'policy' | 'scheduler' | 'ingest' | 'reconciler' | 'retention' | 'dispatcher' | 'agent' | 'verifier' };

export function actorName(actor: Actor): string {
  switch (actor.type) {
    case 'user':
      return actor.name;
    case 'slack':
      return actor.name ? `${actor.name} (slack ${actor.userId})` : `slack:${actor.userId}`;
    case 'email':
      return `email:${actor.recipient}`;
    case 'system':
      return `system:${actor.name}`;
  }
}

export function actorChannel(actor: Actor): string {
  switch (actor.type) {
    case 'user':
      return actor.via;
    case 'slack':
      return 'slack';
    case 'email':
      return 'email';
    case 'system':
      return actor.name;
  }
}
