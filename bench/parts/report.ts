import { reportMarkdown } from '../../src/domain/incident-report.js';
import { ingestEvents } from '../../src/ingest/ingest.js';
import { incidentReport } from '../../src/proposals/index.js';
import { startBenchAgent } from '../harness.js';
import { freshDatabase, progress, providerEvent, round, scaled } from '../support.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The incident report over one incident of 10,000 events, each ingested in a batch of its own (one
 * `events.received` audit row per event, the worst case for the report): the JSON report and its
 * Markdown, against a raw `select` of the same rows (the incident's audit rows and its events).
 */
export async function benchReport(): Promise<Record<string, number>> {
  const n = scaled(10_000);
  const db = await freshDatabase('report');
  const agent = await startBenchAgent({ database: db, loopMs: 500 });
  try {
    const g0 = performance.now();
    let incidentId: string | undefined;
    for (let i = 0; i < n; i++) {
      const e = providerEvent(`evt_report_${i}`, 'report-openai', i);
      // Spread over about 80 minutes, the error rate moving: the busiest minute and the peak mean something.
      e.occurred_at = new Date(Date.parse(e.occurred_at) + i * 499).toISOString();
      e.data = { ...e.data, error_rate: 0.3 + ((i * 37) % 60) / 100 };
      const out = await ingestEvents(agent.deps, [{ event: e, via: 'stream' }]);
      incidentId ??= out.incidentsOpened[0];
    }
    if (!incidentId) throw new Error('no incident opened');
    progress(`report: ${n} events in ${n} batches ingested in ${((performance.now() - g0) / 1000).toFixed(1)} s`);

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
      report_10k_events_ms: round(median(reportMs)),
      report_raw_select_ms: round(median(rawMs)),
      report_vs_raw: round(median(reportMs) / Math.max(0.001, median(rawMs)), 2),
      report_events: n,
      report_raw_rows: rows,
      report_markdown_lines: lines,
    };
    progress(`report: ${JSON.stringify(out)}`);
    return out;
  } finally {
    await agent.stop();
    await db.drop();
  }
}
