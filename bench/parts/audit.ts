import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { appendAudit } from '../../src/audit/append.js';
import { exportAuditCsv } from '../../src/audit/export.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { freshDatabase, progress, round, scaled } from '../support.js';

/** Single-row audit appends from concurrent writers, each in its own transaction (the chain trigger path). */
export async function benchAuditAppend(): Promise<Record<string, number | boolean>> {
  const writers = 8;
  const perWriter = scaled(500);
  const db = await freshDatabase('audit', writers + 2);
  try {
    const deadline = performance.now() + 30_000;
    let done = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter && performance.now() < deadline; i++) {
          await db.db.transaction((tx) =>
            appendAudit(tx, { kind: 'thread.message', actor: { type: 'user', name: `writer-${w}`, via: 'api' }, incidentId: `inc_${w}`, payload: { text: `message ${i} from writer ${w}` } }),
          );
          done++;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const verified = await verifyAudit(db.db);
    const out = { audit_append_per_s: round(done / seconds, 0), audit_appends: done, audit_writers: writers, audit_chain_ok: verified.ok };
    progress(`audit: ${JSON.stringify(out)}`);
    return out;
  } finally {
    await db.drop();
  }
}

/**
 * CSV export of a million audit rows through the product's exporter, and COPY … TO STDOUT of the
 * same rows. The rows are generated set-wise with the chain trigger disabled (a per-row chained
 * insert of a million rows would dominate the bench); the export does not depend on the hashes.
 */
export async function benchExport(): Promise<Record<string, number>> {
  const n = scaled(1_000_000);
  const db = await freshDatabase('export');
  const raw = db.raw!;
  try {
    const g0 = performance.now();
    await raw.unsafe('alter table sre_actions disable trigger sre_actions_chain');
    await raw.unsafe(`insert into sre_actions (seq, occurred_at, source, kind, actor_type, actor, incident_id, proposal_id, payload, prev_hash, hash)
      select g, timestamptz '2026-01-01' + g * interval '1 second', 'sre-agent', 'event.received', 'system', 'ingest', 'inc_' || (g / 1000), null,
        jsonb_build_object('via', 'stream', 'entry_id', g || '-0', 'event', jsonb_build_object('id', 'evt_' || g, 'type', 'provider.unhealthy', 'occurred_at', '2026-01-01T00:00:00Z', 'source', 'admin-api',
          'data', jsonb_build_object('provider', 'p' || (g % 50), 'error_rate', 0.42, 'requests', 1200, 'window_seconds', 60, 'sample_errors', jsonb_build_array('upstream 503: "=cmd" injected')))),
        encode(sha256(convert_to((g - 1)::text, 'UTF8')), 'hex'), encode(sha256(convert_to(g::text, 'UTF8')), 'hex')
      from generate_series(1, ${n}) g`);
    await raw.unsafe('alter table sre_actions enable trigger sre_actions_chain');
    await raw.unsafe('analyze sre_actions');
    progress(`export: ${n} rows generated in ${((performance.now() - g0) / 1000).toFixed(1)} s`);

    let lines = 0;
    let bytes = 0;
    const counter = () =>
      new Writable({
        write(chunk: Buffer | string, _enc, cb) {
          const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
          bytes += Buffer.byteLength(s);
          for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) lines++;
          cb();
        },
      });

    const t0 = performance.now();
    await pipeline(exportAuditCsv(db.db, {}, { copyClient: db.openCopyClient }), counter());
    const exportSeconds = (performance.now() - t0) / 1000;
    const exportLines = lines;
    const exportBytes = bytes;

    lines = 0;
    bytes = 0;
    const t1 = performance.now();
    const copy = await raw
      .unsafe(
        `copy (select seq, occurred_at, source, kind, actor_type, actor, incident_id, proposal_id, payload, prev_hash, hash from sre_actions order by seq) to stdout with (format csv, header)`,
      )
      .readable();
    await pipeline(copy, counter());
    const copySeconds = (performance.now() - t1) / 1000;
    const out = {
      export_rows_per_s: round(n / exportSeconds, 0),
      export_raw_rows_per_s: round(n / copySeconds, 0),
      export_rows: exportLines - 1,
      export_mb: round(exportBytes / 1024 / 1024),
      export_raw_rows: lines - 1,
      export_raw_mb: round(bytes / 1024 / 1024),
    };
    progress(`export: ${JSON.stringify(out)}`);
    return out;
  } finally {
    await db.drop();
  }
}
