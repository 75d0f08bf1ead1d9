import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { queryRows, type Executor } from '../db/client.js';

/**
 * Signed checkpoints of the audit trail, kept outside the database (like CloudTrail's digest files
 * and Certificate Transparency's signed tree heads): whoever can rewrite the database cannot
 * rewrite what was signed before. `audit verify --checkpoints FILE` compares them with the table.
 */
export interface CheckpointBody {
  /** The newest row's seq when the checkpoint was taken (0: an empty trail). */
  seq: number;
  /** That row's hash: it commits to every row before it through the chain. */
  head_hash: string;
  /** Rows stored at or before seq then. */
  rows: number;
  /** When it was taken (the agent's clock), ISO 8601. */
  at: string;
}

export interface Checkpoint extends CheckpointBody {
  /** Ed25519 over `checkpointMessage(body)`, base64. */
  signature: string;
}

/** The signed bytes: the four fields in a fixed order, as JSON. */
export function checkpointMessage(b: CheckpointBody): Buffer {
  return Buffer.from(JSON.stringify({ seq: b.seq, head_hash: b.head_hash, rows: b.rows, at: b.at }));
}

export function signCheckpoint(key: KeyObject, body: CheckpointBody): Checkpoint {
  return { ...body, signature: sign(null, checkpointMessage(body), key).toString('base64') };
}

export function checkSignature(publicKey: KeyObject, cp: Checkpoint): boolean {
  try {
    return verify(null, checkpointMessage(cp), publicKey, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
}

/** The key that checks signatures, from the signing key (or a public key itself). */
export const verifyingKey = (key: KeyObject): KeyObject => (key.type === 'private' ? createPublicKey(key) : key);

/** The trail's head now: one statement, so seq, hash and count agree. */
export async function readHead(ex: Executor): Promise<Omit<CheckpointBody, 'at'>> {
  const [r] = await queryRows<{ seq: string | number | null; hash: string | null; rows: string | number }>(
    ex,
    sql`select h.seq, h.hash, (select count(*) from sre_actions) as rows
        from (select 1) one left join (select seq, hash from sre_actions order by seq desc limit 1) h on true`,
  );
  return { seq: Number(r?.seq ?? 0), head_hash: r?.hash ?? '', rows: Number(r?.rows ?? 0) };
}

/** Where a checkpoint goes: a file (JSON lines appended) or another channel the composition root builds. */
export type CheckpointSink = (cp: Checkpoint) => Promise<void>;

export const fileSink =
  (file: string): CheckpointSink =>
  (cp) =>
    appendFile(file, `${JSON.stringify(cp)}\n`, { mode: 0o640 });

export interface CheckpointDeps {
  db: Executor;
  clock: Clock;
  logger: Logger;
  metrics?: { auditCheckpointLastSuccess?: { set(v: number): void } } | undefined;
}

/**
 * The recurring `audit_checkpoint` job's handler (jobs/kinds.ts; one replica at a time under the
 * job's lease): takes the head, signs it and hands it to the sink. Unconfigured, it does nothing.
 */
export function auditCheckpointJob(opts: { key: KeyObject | undefined; sink: CheckpointSink | undefined }) {
  return async (deps: CheckpointDeps): Promise<void> => {
    if (!opts.key || !opts.sink) return;
    const head = await readHead(deps.db);
    const cp = signCheckpoint(opts.key, { ...head, at: deps.clock.now().toISOString() });
    await opts.sink(cp);
    deps.metrics?.auditCheckpointLastSuccess?.set(deps.clock.nowMs() / 1000);
    deps.logger.debug({ seq: cp.seq, rows: cp.rows }, 'audit checkpoint written');
  };
}

/** Reads a checkpoint file: one JSON object a line; a line that is not one is named by its number. */
export async function readCheckpoints(file: string): Promise<{ line: number; checkpoint: Checkpoint | undefined }[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .map((l, i) => ({ l: l.trim(), line: i + 1 }))
    .filter((x) => x.l !== '')
    .map(({ l, line }) => {
      try {
        const o = JSON.parse(l) as Partial<Checkpoint>;
        const ok = Number.isSafeInteger(o.seq) && typeof o.head_hash === 'string' && Number.isSafeInteger(o.rows) && typeof o.at === 'string' && typeof o.signature === 'string';
        return { line, checkpoint: ok ? (o as Checkpoint) : undefined };
      } catch {
        return { line, checkpoint: undefined };
      }
    });
}
