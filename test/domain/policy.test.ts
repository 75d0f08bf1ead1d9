import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { routeProposal } from '../../src/domain/policy.js';

describe('policy routing', () => {
  it('routes a score equal to the threshold to auto-execution when auto-approve is on', () => {
    expect(routeProposal(40, { riskThreshold: 40, autoApprove: true })).toEqual({ route: 'auto', reason: expect.stringMatching(/40 ≤ threshold 40/) });
  });

  it('gates a score one above the threshold', () => {
    expect(routeProposal(41, { riskThreshold: 40, autoApprove: true })).toEqual({ route: 'gate', reason: expect.stringMatching(/41 > threshold 40/) });
  });

  it('gates every score when auto-approve is off, even 0', () => {
    expect(routeProposal(0, { riskThreshold: 100, autoApprove: false })).toEqual({ route: 'gate', reason: expect.stringMatching(/auto-approve is off/) });
  });

  it('handles the extreme thresholds: 0 auto-approves only score 0, 100 auto-approves everything', () => {
    expect(routeProposal(0, { riskThreshold: 0, autoApprove: true }).route).toBe('auto');
    expect(routeProposal(1, { riskThreshold: 0, autoApprove: true }).route).toBe('gate');
    expect(routeProposal(100, { riskThreshold: 100, autoApprove: true }).route).toBe('auto');
  });

  it('auto-executes exactly when auto-approve is on and score ≤ threshold', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), fc.boolean(), (score, threshold, autoApprove) => {
        const r = routeProposal(score, { riskThreshold: threshold, autoApprove });
        expect(r.route).toBe(autoApprove && score <= threshold ? 'auto' : 'gate');
      }),
    );
  });
});
