import { benchApprove } from './parts/approve.js';
import { benchAuditAppend, benchExport } from './parts/audit.js';
import { benchIngest } from './parts/ingest.js';
import { benchEventToSlack } from './parts/latency.js';
import { benchStorm } from './parts/storm.js';
import { dropLeftovers, progress, rssSampler } from './support.js';

const rss = rssSampler();
const t0 = performance.now();
const result: Record<string, unknown> = {};
const only = process.env.BENCH_ONLY?.split(',');
const parts: [string, () => Promise<Record<string, unknown>>][] = [
  ['ingest', async () => ({ ...(await benchIngest()) })],
  ['latency', benchEventToSlack],
  ['storm', benchStorm],
  ['approve', benchApprove],
  ['audit', benchAuditAppend],
  ['export', benchExport],
];
try {
  for (const [name, run] of parts) {
    if (only && !only.includes(name)) continue;
    progress(`${name}: start`);
    try {
      Object.assign(result, await run());
    } catch (e) {
      progress(`${name}: FAILED ${(e as Error).stack ?? String(e)}`);
      result[`${name}_error`] = (e as Error).message;
    }
  }
} finally {
  await dropLeftovers().catch(() => {});
}
result.peak_rss_mb = rss.peakMb();
result.bench_seconds = Math.round((performance.now() - t0) / 1000);
rss.stop();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
