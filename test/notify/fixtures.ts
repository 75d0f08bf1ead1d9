import pino from 'pino';
import { createLogPager } from '../../src/actions/pagerduty.js';
import { createSimulatedGateway } from '../../src/actions/simulated.js';
import { schema, type Db } from '../../src/db/client.js';
import type { Channel } from '../../src/domain/notifications.js';
import { newId } from '../../src/proposals/ids.js';
import type { ServiceDeps } from '../../src/proposals/types.js';
import { workdayClock } from '../support/clock.js';

export const PUBLIC_BASE_URL = 'https://sre.example.test';
export const silent = pino({ level: 'silent' });

export function makeDeps(db: Db, overrides: Partial<ServiceDeps> = {}): ServiceDeps {
  return {
    db,
    gateway: createSimulatedGateway(),
    pager: createLogPager(silent),
    reasoner: { propose: () => Promise.reject(new Error('no reasoning in these tests')) } as unknown as ServiceDeps['reasoner'],
    logger: silent,
    channels: ['email', 'webhook', 'pagerduty'] as Channel[],
    policy: { riskThreshold: 40, autoApprove: false, timeZone: 'UTC', criticalTeams: [], mode: 'live', twoPersonScore: 75 },
    safety: { verifyWindowMs: 5 * 60_000, autoRevert: true, actionCooldownMs: 30 * 60_000, maxActionsPerHour: 10 },
    lifecycle: { escalateAfterMs: 15 * 60_000, proposalTtlMs: 24 * 3_600_000 },
    publicBaseUrl: PUBLIC_BASE_URL,
    clock: workdayClock(),
    ...overrides,
  };
}

export interface Seeded {
  incidentId: string;
  proposalId: string;
}

/** An open incident with one gated, pending proposal (a circuit-break the simulated gateway can execute). */
export async function seedPending(
  db: Db,
  opts: { provider?: string; reasoning?: string; riskScore?: number; status?: string; subject?: string } = {},
): Promise<Seeded> {
  const incidentId = newId('inc');
  const proposalId = newId('prp');
  const provider = opts.provider ?? 'openai';
  const now = new Date();
  await db.insert(schema.incidents).values({
    id: incidentId,
    key: `provider:${provider}:${incidentId}`,
    type: 'provider.unhealthy',
    subject: opts.subject ?? provider,
    firstSeen: now,
    lastSeen: now,
    eventCount: 3,
    latest: { provider, error_rate: 0.42, requests: 1000, window_seconds: 60 },
    first: { provider, error_rate: 0.3, requests: 900, window_seconds: 60 },
  });
  await db.insert(schema.proposals).values({
    id: proposalId,
    incidentId,
    status: opts.status ?? 'pending',
    action: 'circuit_break_provider',
    target: `provider:${provider}`,
    params: { provider, duration_seconds: 120, reason: 'error rate 42 %' },
    riskScore: opts.riskScore ?? 55,
    riskFactors: [
      { name: 'baseline', delta: 15, reason: 'circuit_break_provider baseline' },
      { name: 'traffic', delta: 40, reason: 'sheds 4200 requests/min & more' },
    ],
    route: 'gate',
    reasoning: opts.reasoning ?? 'The provider fails 42 % of requests; a short circuit-break moves traffic to healthy providers.',
    reasoner: 'playbook',
    createdAt: now,
    updatedAt: now,
    expiresAt: new Date(now.getTime() + 24 * 3_600_000),
  });
  return { incidentId, proposalId };
}

export function outboxRow(id: number, kind: string, s: Seeded, channel: Channel) {
  return {
    id,
    channel,
    kind: kind as never,
    incidentId: s.incidentId,
    proposalId: s.proposalId,
    payload: {},
    attempts: 0,
    createdAt: new Date(),
  };
}
