import { sql } from 'drizzle-orm';
import { createAdminApiGateway } from '../../src/actions/index.js';
import { schema } from '../../src/db/client.js';
import { ingestEvents } from '../../src/ingest/ingest.js';
import { decide } from '../../src/proposals/decide.js';
import { startBenchAgent } from '../harness.js';
import { startAdminApiStub } from '../stubs.js';
import { startCollector } from '../tracing.js';
import { RUNS, freshDatabase, logger, median, percentile, progress, providerEvent, round, scaled, waitUntil } from '../support.js';
import { countOf } from './storm.js';

/**
 * Approve → the admin-api write arriving at a local stub admin-api, one decision at a time, RUNS
 * times on fresh databases (the p50 and p99 are the medians of the runs' own, each run's kept in
 * `approve_to_execute_p50_runs_ms` / `_p99_runs_ms`). The headline figures are the first 100
 * approvals of a fresh agent, as always; each run then approves 100 more, and those are the warm
 * figures (`approve_to_execute_warm_*`: every statement already prepared on the pool's
 * connections, the code compiled), the steady state of a replica that has been up a while. Then
 * tracing on against off, two runs each in alternating order (approve_to_execute_traced_p99_ms,
 * tracing on, exporting to a local collector in this process).
 */
export async function benchApprove(): Promise<Record<string, number | number[]>> {
  const plainRuns: ApproveRun[] = [];
  for (let i = 0; i < RUNS; i++) plainRuns.push(await approveRun(`approve_${i}`, {}, { warm: true }));
  const plain = {
    p50: round(median(plainRuns.map((r) => r.p50))!),
    p99: round(median(plainRuns.map((r) => r.p99))!),
    samples: plainRuns.reduce((n, r) => n + r.samples, 0),
    notSent: plainRuns.reduce((n, r) => n + r.notSent, 0),
    actions: [...new Set(plainRuns.map((r) => r.actions))].join(','),
  };
  // Tracing on against off in two rounds of alternating order (on, off, off, on).
  const collector = await startCollector();
  const runs: Record<'on' | 'off', ApproveRun[]> = { on: [], off: [] };
  try {
    for (const [k, side] of (['on', 'off', 'off', 'on'] as const).entries()) {
      runs[side].push(await approveRun(`approve_${side}_${k}`, side === 'on' ? collector.env : {}));
    }
  } finally {
    await collector.close();
  }
  // Each side's figures are the mean of its two runs: a trend over the part weighs on both alike.
  const mean = (side: 'on' | 'off') => ({ p50: round((runs[side][0]!.p50 + runs[side][1]!.p50) / 2), p99: round((runs[side][0]!.p99 + runs[side][1]!.p99) / 2) });
  const [on, off] = [mean('on'), mean('off')];
  const out = {
    approve_to_execute_p50_ms: plain.p50,
    approve_to_execute_p99_ms: plain.p99,
    approve_to_execute_p50_runs_ms: plainRuns.map((r) => r.p50),
    approve_to_execute_p99_runs_ms: plainRuns.map((r) => r.p99),
    approve_to_execute_warm_p50_ms: round(median(plainRuns.map((r) => r.warm!.p50))!),
    approve_to_execute_warm_p99_ms: round(median(plainRuns.map((r) => r.warm!.p99))!),
    approve_to_execute_warm_p99_runs_ms: plainRuns.map((r) => r.warm!.p99),
    approve_runs: RUNS,
    approve_samples: plain.samples,
    approve_without_admin_call: plain.notSent,
    approve_to_execute_traced_p50_ms: on.p50,
    approve_to_execute_traced_p99_ms: on.p99,
    approve_traced_untraced_p50_ms: off.p50,
    approve_traced_untraced_p99_ms: off.p99,
    approve_traced_without_admin_call: runs.on.reduce((n, r) => n + r.notSent, 0),
    approve_traced_export_requests: collector.requests(),
    approve_traced_p99_ratio: round(on.p99 / off.p99, 3),
  };
  progress(`approve: ${JSON.stringify(out)} actions ${plain.actions}`);
  return out;
}

interface ApproveRun {
  p50: number;
  p99: number;
  samples: number;
  notSent: number;
  actions: string;
  /** With `warm`: the figures of the n approvals after the first n (statements prepared on the pool's connections, code compiled). */
  warm?: { p50: number; p99: number };
}

async function approveRun(label: string, env: Record<string, string>, opts: { warm?: boolean } = {}): Promise<ApproveRun> {
  const n = scaled(100);
  const total = opts.warm ? 2 * n : n;
  const db = await freshDatabase(label);
  let arrival: number | undefined;
  const admin = await startAdminApiStub((call) => {
    arrival ??= call.at;
  });
  const agent = await startBenchAgent({ database: db, loopMs: 50, env });
  try {
    // Proposals made by the playbook against the simulated gateway: one circuit-break per provider.
    await ingestEvents(agent.deps, Array.from({ length: total }, (_, i) => ({ event: providerEvent(`evt_appr_${i}`, `appr-${i}`, i), via: 'http' as const })));
    await waitUntil(async () => (await countOf(db.db, sql`select count(*) as n from proposals where status = 'pending'`)) >= total, 120_000, 100);
    const pending = await db.db.select({ id: schema.proposals.id, action: schema.proposals.action }).from(schema.proposals);
    // Executions go to the stub admin-api over HTTP from here on.
    agent.deps.gateway = createAdminApiGateway({ baseUrl: admin.url, token: 'bench-admin-token', logger });
    const latencies: number[] = [];
    let notSent = 0;
    for (const p of pending) {
      arrival = undefined;
      const t0 = performance.now();
      await decide(agent.deps, { proposalId: p.id, decision: 'approve', actor: { type: 'user', name: 'bench', via: 'api' } });
      if (arrival === undefined) notSent++;
      latencies.push(arrival === undefined ? Number.NaN : arrival - t0);
    }
    const figures = (xs: number[]) => {
      const sorted = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
      return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), samples: sorted.length };
    };
    const first = figures(latencies.slice(0, n));
    const actions = [...new Set(pending.map((p) => p.action))].join(',');
    return { ...first, notSent, actions, ...(opts.warm ? { warm: figures(latencies.slice(n)) } : {}) };
  } finally {
    await agent.stop();
    await admin.close();
    await db.drop();
  }
}
