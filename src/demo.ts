import { systemClock, type Clock } from './clock.js';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { eq } from 'drizzle-orm';
import { connectPglite, openDatabase, schema, type Database } from './db/client.js';
import type { PlatformEvent } from './domain/events.js';
import { ingestEvents } from './ingest/ingest.js';
import { createLogger } from './logger.js';
import { createAgent } from './main.js';
import { decide, listProposals, type ProposalView } from './proposals/index.js';

/** The scripted incidents: one of each event type, then a storm for one provider. */
export function demoEvents(base: Date): PlatformEvent[] {
  const at = (s: number) => new Date(base.getTime() + s * 1000).toISOString();
  const list: PlatformEvent[] = [
    { id: 'evt_demo_lat_1', type: 'latency.spike', occurred_at: at(0), source: 'admin-api', data: { provider: 'anthropic', model: 'claude-sonnet-4-6', model_group: 'claude-sonnet', latency_ms: 9800, rolling_median_ms: 1400 } },
    { id: 'evt_demo_budget_1', type: 'budget.exceeded', occurred_at: at(1), source: 'admin-api', data: { scope: 'team', scope_id: 't-research', limit_kind: 'hard', limit_usd: 5000, spend_usd: 5230.5, period: '2026-11' } },
    { id: 'evt_demo_sla_1', type: 'sla.violation', occurred_at: at(2), source: 'admin-api', data: { sla_id: 'sla-checkout-p95', team: 't-checkout', metric: 'p95_latency_ms', target: 1200, observed: 2650, window_seconds: 900 } },
  ];
  for (let i = 0; i < 300; i++) {
    list.push({
      id: `evt_demo_storm_${i}`,
      type: 'provider.unhealthy',
      occurred_at: at(3 + i * 0.2),
      source: 'admin-api',
      data: { provider: 'openai', error_rate: 0.62 + (i % 10) / 100, requests: 1800 + i, window_seconds: 60, model_group: 'gpt-4o', sample_errors: ['upstream 503: overloaded'] },
    });
  }
  return list;
}

function describe(p: ProposalView): string[] {
  const lines = [
    `  proposal ${p.id}: ${p.action} ${JSON.stringify(p.params)}`,
    `  risk ${p.risk_score} = ${p.risk_factors.map((f) => `${f.name} ${f.delta >= 0 ? '+' : ''}${f.delta}`).join(', ')}`,
    ...p.risk_factors.map((f) => `      · ${f.name} (${f.delta >= 0 ? '+' : ''}${f.delta}): ${f.reason}`),
    `  reasoning (${p.reasoner}): ${p.reasoning.replace(/\s+/g, ' ').slice(0, 400)}`,
  ];
  return lines;
}

export interface DemoOptions {
  /** configured: the database the agent uses (SRE_DATA_DIR's PGlite, or DATABASE_URL); memory: gone when the demo ends. */
  target: 'configured' | 'memory';
  clock?: Clock;
  logger?: Logger;
}

function where(config: Config, target: DemoOptions['target']): string {
  if (target === 'memory') return 'an in-memory database';
  return config.storage.databaseUrl ? 'the PostgreSQL database of DATABASE_URL' : `the embedded database in ${config.storage.dataDir}`;
}

/**
 * Replays the script and prints a readable transcript. Into the configured database by default,
 * so `npm start` afterwards shows its incidents, proposals, decisions and audit trail.
 */
export async function runDemo(config: Config, out: (s: string) => void, opts: DemoOptions = { target: 'configured' }): Promise<number> {
  const database: Database = opts.target === 'memory' ? await connectPglite() : await openDatabase(config.storage);
  await database.migrate();
  const demoConfig: Config = { ...config, policy: { ...config.policy, autoApprove: true }, agent: { ...config.agent, anthropicApiKey: undefined } };
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now();
  const [already] = await database.db.select({ id: schema.events.id }).from(schema.events).where(eq(schema.events.id, 'evt_demo_lat_1')).limit(1);
  if (already) {
    await database.close();
    out(`The demo already ran into ${where(config, opts.target)}: its incidents and proposals are there. Start the agent (npm start) to see them in the console, or point SRE_DATA_DIR at an empty folder to run it afresh.`);
    return 0;
  }
  const agent = await createAgent(demoConfig, { database, loopMs: 0, clock, logger: opts.logger ?? createLogger({ level: 'error', pretty: false, fd: 2 }) });
  try {
    out(`SRE agent demo — ${where(config, opts.target)}, simulated gateway, playbook reasoner; threshold ${demoConfig.policy.riskThreshold}, auto-approve on for the demo.\n`);
    const events = demoEvents(now());
    for (let i = 0; i < events.length; i += 100) {
      await ingestEvents(agent.deps, events.slice(i, i + 100).map((event) => ({ event, via: 'file' as const })));
    }
    // Replaying the same ids changes nothing: they are one event each.
    const again = await ingestEvents(agent.deps, events.slice(0, 50).map((event) => ({ event, via: 'file' as const })));
    await agent.tick();
    await agent.tick();
    const proposals = (await listProposals(agent.deps, { limit: 100 })).reverse();
    for (const p of proposals) {
      out(`■ incident ${p.incident.id}: ${p.incident.type} on ${p.incident.subject} — ${p.incident.event_count} event(s)`);
      for (const l of describe(p)) out(l);
      out(`  routing: ${p.route === 'auto' ? `auto-approved (${p.decision_reason ?? ''})` : `waits for a human (risk ${p.risk_score} > ${demoConfig.policy.riskThreshold})`}`);
      if (p.status === 'succeeded' || p.status === 'failed') out(`  execution: ${p.status} ${JSON.stringify(p.result?.response ?? p.result?.error ?? {})}`);
      out('');
    }
    const gated = proposals.find((p) => p.status === 'pending');
    if (gated) {
      out(`▶ demo-operator approves ${gated.id} (${gated.action}) through the same path as Slack and the JSON API:`);
      const done = await decide(agent.deps, { proposalId: gated.id, decision: 'approve', actor: { type: 'user', name: 'demo-operator', via: 'cli' } });
      out(`  ${done.status} by ${done.decided_by}: ${JSON.stringify(done.result?.response ?? done.result?.error ?? {})}`);
      try {
        await decide(agent.deps, { proposalId: gated.id, decision: 'reject', actor: { type: 'user', name: 'second-operator', via: 'cli' } });
      } catch (e) {
        out(`▶ second-operator rejects it a moment later: ${(e as Error).message}`);
      }
    }
    out(`\n${events.length} events (${again.duplicates.length} replayed duplicates ignored) → ${proposals.length} incident(s), ${proposals.length} proposal(s).`);
    if (opts.target === 'memory') {
      out(`It ran in memory and is gone now.${config.storage.databaseUrl ? ' `sre-agent demo --keep` writes it into DATABASE_URL (whose audit rows can never be deleted).' : ''}`);
    } else {
      out(`It is kept in ${where(config, opts.target)}: start the agent (npm start) and open the console link it prints to see these incidents, proposals, decisions and the audit trail.`);
    }
    return 0;
  } finally {
    await agent.stop();
    await database.close();
  }
}
