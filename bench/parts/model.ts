import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { INGEST_TOKEN, startAgentProcess } from '../agent-process.js';
import { startModelStub } from '../stubs.js';
import { freshDatabase, percentile, progress, providerEvent, round, waitUntil } from '../support.js';
import { countOf } from './storm.js';

/** The stand-in's answer time for every Messages API call (CONTRACT.md `model_latency_ms`). */
export const MODEL_LATENCY_MS = Number(process.env.BENCH_MODEL_LATENCY_MS ?? 2_000);
const INCIDENTS = 20;
const LIMIT_MS = 180_000;
// Two calls per incident (a read, then the proposal), so 2 × latency + 1 s is met only when all
// 20 incidents reason at once: the part runs the agent with a slot for each (override to compare).
const CONCURRENCY = process.env.BENCH_REASONING_CONCURRENCY ?? String(INCIDENTS);

/**
 * Twenty provider incidents at once (one POST /v1/events with twenty events) into the compiled
 * agent, reasoning with Claude against a local Messages API that answers each call after
 * MODEL_LATENCY_MS. Time from the POST to each incident's proposal row being visible (polled
 * every 25 ms; `created_at` is when reasoning began, so it cannot be used).
 */
export async function benchModel(): Promise<Record<string, number | null>> {
  const db = await freshDatabase('model', 4);
  const model = await startModelStub(MODEL_LATENCY_MS);
  const agent = await startAgentProcess({
    DATABASE_URL: db.url,
    ANTHROPIC_API_KEY: 'sk-ant-bench-0000',
    ANTHROPIC_BASE_URL: model.url,
    SRE_REASONING_CONCURRENCY: CONCURRENCY,
  }).catch(async (e: unknown) => {
    await model.close();
    await db.drop();
    throw e;
  });
  try {
    const events = Array.from({ length: INCIDENTS }, (_, k) => providerEvent(`evt_model_${k}`, `model-p${k}`, k));
    const seenAt = new Map<string, number>();
    const t0 = performance.now();
    const res = await fetch(`${agent.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
    const done = await waitUntil(async () => {
      const rows = await queryRows<{ incident_id: string }>(db.db, sql`select distinct incident_id from proposals`);
      const now = performance.now();
      for (const r of rows) if (!seenAt.has(r.incident_id)) seenAt.set(r.incident_id, now - t0);
      return seenAt.size >= INCIDENTS;
    }, LIMIT_MS, 25);
    if (!done) progress(`model: only ${seenAt.size} of ${INCIDENTS} incidents had a proposal after ${LIMIT_MS / 1000} s`);
    const sorted = [...seenAt.values()].sort((a, b) => a - b);
    const out = {
      model_latency_ms: MODEL_LATENCY_MS,
      incidents_to_proposal_p50_ms: done ? round(percentile(sorted, 50)) : null,
      incidents_to_proposal_p99_ms: done ? round(percentile(sorted, 99)) : null,
      incidents_to_proposal_target_ms: 2 * MODEL_LATENCY_MS + 1_000,
      model_incidents: INCIDENTS,
      model_proposals: seenAt.size,
      model_reasoning_concurrency: Number(CONCURRENCY),
      model_calls: model.calls.length,
      model_max_in_flight: model.maxInFlight(),
      model_fallbacks: await countOf(db.db, sql`select count(*) as n from proposals where fallback_reason is not null`),
    };
    progress(`model: ${JSON.stringify(out)}`);
    return out;
  } finally {
    await agent.stop();
    await model.close();
    await db.drop();
  }
}
