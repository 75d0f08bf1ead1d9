import { appendAudit, type AuditRecord } from '../../src/audit/append.js';
import { reportMarkdown } from '../../src/domain/incident-report.js';
import { ingestEvents } from '../../src/ingest/ingest.js';
import { incidentReport } from '../../src/proposals/index.js';
import { startBenchAgent } from '../harness.js';
import { freshDatabase, type BenchDatabase, median, progress, providerEvent, round, scaled } from '../support.js';

const INGEST = { type: 'system', name: 'ingest' } as const;

/**
 * The rest of the incident's events, each as ingest records a batch of one (the event row, the
 * incident's counters, an `events.received` row with the event's digest through the chain
 * trigger), written set-wise: ten thousand single-event ingest transactions would take minutes here.
 */
async function bulkBatches(db: BenchDatabase, incidentId: string, from: number, count: number): Promise<void> {
  const raw = db.raw!;
  // Spread over about 80 minutes, the error rate moving: the busiest minute and the peak mean something.
  await raw`insert into events (id, type, occurred_at, received_at, source, via, data, incident_id)
    select 'evt_report_' || g, 'provider.unhealthy', to_timestamp(${from / 1000}) + g * interval '499 milliseconds', now(), 'admin-api', 'stream',
      jsonb_build_object('provider', 'report-openai', 'error_rate', 0.3 + ((g * 37) % 60) / 100.0, 'requests', 1200, 'window_seconds', 60, 'model_group', 'gpt-4o'), ${incidentId}
    from generate_series(1, ${count}) g`;
  await raw`update incidents i set event_count = s.n, last_seen = s.last from (select count(*)::int as n, max(occurred_at) as last from events where incident_id = ${incidentId}) s where i.id = ${incidentId}`;
  const rows = await raw<{ id: string; at: string; digest: string }[]>`
    select id, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, sre_events_digest_of(array[sre_event_text(e)]) as digest
    from events e where incident_id = ${incidentId} and id <> 'evt_report_0' order by occurred_at`;
  const now = new Date().toISOString();
  const records: AuditRecord[] = rows.map((r) => ({
    kind: 'events.received',
    actor: INGEST,
    incidentId,
    payload: { via: 'stream', count: 1, event_ids: [r.id], digest: r.digest, received_at: now, first_occurred_at: r.at, last_occurred_at: r.at },
  }));
  await db.db.transaction((tx) => appendAudit(tx, ...records));
}

/**
 * The incident report over one incident of 10,000 events, each recorded as a batch of its own (one
 * `events.received` audit row per event, the worst case for the report): the JSON report and its
 * Markdown, against a raw `select` of the same rows (the incident's audit rows and its events).
 */
export async function benchReport(): Promise<Record<string, number>> {
  const n = scaled(10_000);
  const db = await freshDatabase('report');
  const agent = await startBenchAgent({ database: db, loopMs: 500 });
  let stopped = false;
  try {
    const g0 = performance.now();
    const first = providerEvent('evt_report_0', 'report-openai', 0);
    const incidentId = (await ingestEvents(agent.deps, [{ event: first, via: 'stream' }])).incidentsOpened[0];
    if (!incidentId) throw new Error('no incident opened');
    await bulkBatches(db, incidentId, Date.parse(first.occurred_at), n - 1);
    progress(`report: ${n} events in ${n} batches stored in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
    await agent.stop();
    stopped = true;

    const deps = { db: agent.deps.db, clock: agent.deps.clock };
    const raw = db.raw!;
    const reportMs: number[] = [];
    const rawMs: number[] = [];
    let lines = 0;
    let rows = 0;
    for (let run = 0; run < 5; run++) {
      const t0 = performance.now();
      const r = await incidentReport(deps, { id: incidentId });
      lines = reportMarkdown(r).split('\n').length;
      reportMs.push(performance.now() - t0);
      const t1 = performance.now();
      const [audit, events] = await Promise.all([raw`select * from sre_actions where incident_id = ${incidentId} order by seq`, raw`select * from events where incident_id = ${incidentId}`]);
      rawMs.push(performance.now() - t1);
      rows = audit.length + events.length;
    }
    const out = {
      report_10k_events_ms: round(median(reportMs)!),
      report_raw_select_ms: round(median(rawMs)!),
      report_vs_raw: round(median(reportMs)! / Math.max(0.001, median(rawMs)!), 2),
      report_events: n,
      report_raw_rows: rows,
      report_markdown_lines: lines,
    };
    progress(`report: ${JSON.stringify(out)}`);
    return out;
  } finally {
    if (!stopped) await agent.stop();
    await db.drop();
  }
}
