import { ensureBuilt } from './agent-process.js';
import { benchAgentRss } from './parts/agent-rss.js';
import { benchApprove } from './parts/approve.js';
import { benchAuditAppend, benchExport } from './parts/audit.js';
import { benchCrash } from './parts/crash.js';
import { benchIngest } from './parts/ingest.js';
import { benchEventToSlack } from './parts/latency.js';
import { benchModel } from './parts/model.js';
import { benchReport } from './parts/report.js';
import { benchStorm } from './parts/storm.js';
import { dropLeftovers, progress, rssSampler } from './support.js';

const CONTRACT_KEYS = [
  'ingest_events_per_s',
  'ingest_raw_events_per_s',
  'event_to_slack_p99_ms',
  'storm_events',
  'storm_incidents',
  'storm_llm_calls',
  'storm_slack_posts',
  'storm_lost',
  'approve_to_execute_p99_ms',
  'audit_append_per_s',
  'export_rows_per_s',
  'export_raw_rows_per_s',
  'peak_rss_mb',
  'model_latency_ms',
  'incidents_to_proposal_p99_ms',
  'crash_recovery_ms',
  'crash_detect_ms',
  'crash_lost',
  'crash_duplicates',
  'report_10k_events_ms',
  'report_raw_select_ms',
  'approve_to_execute_traced_p99_ms',
  'ingest_traced_events_per_s',
] as const;

/** `npm run bench -- --only model,crash` (or BENCH_ONLY=model,crash): the parts to run. */
function selectedParts(argv: string[]): string[] | undefined {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  const arg = i < 0 ? undefined : argv[i]!.startsWith('--only=') ? argv[i]!.slice('--only='.length) : argv[i + 1];
  const list = arg ?? process.env.BENCH_ONLY;
  return list ? list.split(',').map((p) => p.trim()).filter(Boolean) : undefined;
}

const rss = rssSampler();
const t0 = performance.now();
const result: Record<string, unknown> = {};
const only = selectedParts(process.argv.slice(2));
const parts: [string, () => Promise<Record<string, unknown>>][] = [
  ['ingest', async () => ({ ...(await benchIngest()) })],
  ['latency', benchEventToSlack],
  ['storm', benchStorm],
  ['approve', benchApprove],
  ['audit', benchAuditAppend],
  ['export', benchExport],
  ['rss', benchAgentRss],
  ['model', benchModel],
  ['crash', benchCrash],
  ['report', benchReport],
];
const unknown = only?.filter((name) => !parts.some(([p]) => p === name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`unknown bench part(s): ${unknown.join(', ')}; the parts are ${parts.map(([p]) => p).join(', ')}\n`);
  process.exit(2);
}
// The parts that run the compiled agent need dist/ built from the tree as it is now.
if (['rss', 'model', 'crash'].some((p) => !only || only.includes(p))) {
  progress('build: checking dist/ against src/');
  if (ensureBuilt()) progress('build: dist/ rebuilt');
}
try {
  for (const [name, run] of parts) {
    if (only && !only.includes(name)) continue;
    progress(`${name}: start`);
    rss.partPeakMb();
    try {
      Object.assign(result, await run());
    } catch (e) {
      progress(`${name}: FAILED ${(e as Error).stack ?? String(e)}`);
      result[`${name}_error`] = (e as Error).message;
    }
    result[`${name}_peak_rss_mb`] = rss.partPeakMb();
  }
} finally {
  await dropLeftovers().catch(() => {});
}
// peak_rss_mb is the agent's own (the compiled agent in its own process, part `rss`); the bench
// process also holds tsx, the stubs, the producers and extra pools, and is reported beside it.
result.bench_process_peak_rss_mb = rss.peakMb();
result.peak_rss_mb = result.agent_peak_rss_mb ?? null;
// CONTRACT.md "Benchmark output": every key present, null when its part failed or was skipped.
for (const key of CONTRACT_KEYS) if (!(key in result)) result[key] = null;
result.bench_seconds = Math.round((performance.now() - t0) / 1000);
rss.stop();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
