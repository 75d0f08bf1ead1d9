import { describe, expect, it } from 'vitest';
import { PROPOSAL_STATUSES, actorChannel, actorName, canTransition, type ProposalStatus } from '../../src/domain/proposal.js';

const allowed: [ProposalStatus, ProposalStatus][] = [
  ['pending', 'approved'],
  ['pending', 'rejected'],
  ['pending', 'expired'],
  ['pending', 'superseded'],
  ['approved', 'executing'],
  // The gate: the re-check finds it stale, or a brake holds an automatic approval for a human.
  ['approved', 'stale'],
  ['approved', 'pending'],
  ['executing', 'succeeded'],
  ['executing', 'failed'],
];

describe('proposal state machine', () => {
  it.each(allowed)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it('refuses every other edge, including re-deciding and skipping approval', () => {
    const refused = PROPOSAL_STATUSES.flatMap((from) => PROPOSAL_STATUSES.map((to) => [from, to] as const)).filter(
      ([from, to]) => !allowed.some(([f, t]) => f === from && t === to),
    );
    expect(refused).toHaveLength(PROPOSAL_STATUSES.length ** 2 - allowed.length);
    for (const [from, to] of refused) expect({ from, to, ok: canTransition(from, to) }).toEqual({ from, to, ok: false });
    // The edges a double click, a replay or a race would try:
    expect(canTransition('approved', 'rejected')).toBe(false);
    expect(canTransition('rejected', 'approved')).toBe(false);
    expect(canTransition('approved', 'approved')).toBe(false);
    expect(canTransition('pending', 'executing')).toBe(false);
    expect(canTransition('succeeded', 'executing')).toBe(false);
    expect(canTransition('expired', 'approved')).toBe(false);
    expect(canTransition('superseded', 'approved')).toBe(false);
  });

  it('has terminal states with no way out', () => {
    for (const s of ['rejected', 'succeeded', 'failed', 'expired', 'superseded', 'stale'] as const) {
      expect(PROPOSAL_STATUSES.filter((to) => canTransition(s, to))).toEqual([]);
    }
  });

  it('names actors for the audit trail', () => {
    expect(actorName({ type: 'user', name: 'alice', via: 'api' })).toBe('alice');
    expect(actorName({ type: 'slack', userId: 'U1', teamId: 'T1', name: 'bob' })).toBe('bob (slack U1)');
    expect(actorName({ type: 'slack', userId: 'U1', teamId: 'T1' })).toBe('slack:U1');
    expect(actorName({ type: 'system', name: 'policy' })).toBe('system:policy');
    expect(actorChannel({ type: 'email', recipient: 'a@example.com' })).toBe('email');
    expect(actorChannel({ type: 'user', name: 'alice', via: 'cli' })).toBe('cli');
  });
});
