import { systemClock } from './clock.js';
import { createReadStream, createWriteStream, existsSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { and, count } from 'drizzle-orm';
import { auditWhere, exportAuditCsv, type AuditFilter } from './audit/export.js';
import { runRetention } from './audit/retention.js';
import { readCheckpoints, verifyingKey } from './audit/checkpoint.js';
import { verifyAudit, verifyCheckpoints } from './audit/verify.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, schema, type Database } from './db/client.js';
import { parseEvent } from './domain/events.js';
import { exitCodeOf, isDomainError } from './domain/errors.js';
import { ingestEvents, type IngestItem } from './ingest/ingest.js';
import { createLogger, wantsPretty } from './logger.js';
import { buildServiceDeps, createAgent, StartupError, type Services } from './main.js';
import { approvalProgress } from './domain/approvals.js';
import { agentStatus, decide, exportDecisions, incidentReport, listProposals, pause, resume, revert, tuningReport, type AgentStatus } from './proposals/index.js';
import { reportMarkdown } from './domain/incident-report.js';
import { parseSince, reportCsv, reportText, SINCE_HINT } from './domain/report.js';
import { runDemo } from './demo.js';
import { matcherText, matcherTokens, parseSilenceDuration } from './domain/silences.js';
import { createSilence, endSilence, listSilences, type SilenceView } from './silences/index.js';
import { createProgress, formatCount, type Progress } from './progress.js';

const USAGE = `Usage: sre-agent <verb>
  serve                                   run the agent (HTTP on PORT)
  migrate                                 apply database migrations and exit
  demo [--keep | --memory]                replay scripted incidents into the agent's database (see README)
  ingest FILE.jsonl                       ingest events, one JSON envelope per line
  pending                                 list pending proposals
  approve ID --as NAME                    approve a pending proposal (and execute it)
  reject ID --as NAME [--reason TEXT]     reject a pending proposal
  revert ID --as NAME [--reason TEXT]     undo a succeeded, reversible action (a reason is required when two people approved it)
  audit export [--source S] [--since ISO] [--until ISO] [--out FILE]
  audit verify [--checkpoints FILE]       walk the hash chain (and compare the signed checkpoints); names the first break
  audit purge                             purge audit rows past the licence tier's retention
  pause --as NAME --reason TEXT           the kill switch: nothing executes until resumed (all replicas)
  resume --as NAME --reason TEXT          turn the kill switch off (say why it is safe again)
  status                                  mode, and whether the agent is paused (by whom, why, since when)
  report [--since 30d] [--format text|json|csv]  what past decisions say about the risk threshold
  report incident ID [--format markdown|json] [--narrative]   what happened in one incident and how long each
                                          step took (--narrative: a paragraph by the model, with ANTHROPIC_API_KEY)
  silence add MATCHER… --for 2h --reason TEXT --as NAME   e.g. provider=openai: matching incidents propose,
                                          page and execute nothing until it ends (--until ISO instead of --for;
                                          --schedule "sun 02:00-04:00" for a weekly maintenance window)
  silence list                            silences not over yet, and the SRE_MAINTENANCE windows
  silence end ID --as NAME                end a silence now
  eval export [--since 30d]               every incident a person decided, one JSON line each, to stdout
                                          (replay it with npm run eval -- --replay FILE; see docs/replay.md)`;

class UsageError extends Error {}

/** Where a verb writes, and whether stderr is a terminal (progress is drawn there only then). */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  tty: boolean;
  /** The environment the configuration is read from; unset: process.env over config/.env. */
  env?: Record<string, string | undefined>;
}

export const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, tty: process.stderr.isTTY === true });

let io: CliIo = processIo();
const out = (s: string) => io.stdout.write(`${s}\n`);
const err = (s: string) => io.stderr.write(`${s}\n`);
const config = () => loadConfig(io.env);
/** Verbs log to stderr (their stdout is their output), pretty when a person watches it. */
const cliLogger = (c: Config, level = 'warn') => {
  const pretty = wantsPretty({ isTTY: io.tty }, c.env);
  return createLogger({ level, pretty, colorize: pretty, destination: io.stderr });
};
const progress = (label: string, unit: string, total?: number): Progress => createProgress({ label, unit, total, tty: io.tty, write: (s) => io.stderr.write(s) });

/** Runs one verb; resolves with the exit code. */
export async function main(argv: string[], cliIo: CliIo = processIo()): Promise<number> {
  io = cliIo;
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case 'serve':
        return await serve();
      case 'migrate':
        return await withDb(async (d) => {
          await d.migrate();
          out(`migrations applied (${(await d.ready()).detail})`);
          return 0;
        }, { migrate: false });
      case 'demo':
        return await demo(rest);
      case 'ingest':
        return await ingestFile(rest);
      case 'pending':
        return await pending();
      case 'approve':
      case 'reject':
        return await decideVerb(verb, rest);
      case 'revert':
        return await revertVerb(rest);
      case 'audit':
        return await audit(rest);
      case 'pause':
      case 'resume':
      case 'status':
        return await killSwitchVerb(verb, rest);
      case 'report':
        return await report(rest);
      case 'silence':
        return await silenceVerb(rest);
      case 'eval':
        return await evalVerb(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        return verb === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown verb "${verb}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`sre-agent: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof StartupError) {
      err(e.message);
      return 1;
    }
    if (isDomainError(e)) {
      err(`sre-agent: ${e.message}`);
      return exitCodeOf(e);
    }
    if ((e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (e as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      err(`sre-agent: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

function lockPath(config: Config): string {
  return path.join(config.storage.dataDir, 'pglite', 'agent.pid');
}

function runningPid(config: Config): number | undefined {
  const file = lockPath(config);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Opens the configured database for a one-shot verb. PGlite is one process: never beside a running agent. */
async function withDb<T>(fn: (d: Database, config: Config) => Promise<T>, opts: { migrate?: boolean } = {}): Promise<T> {
  const c = config();
  assertNotServed(c);
  const d = await openDatabase(c.storage);
  try {
    if (opts.migrate !== false) await d.migrate();
    return await fn(d, c);
  } finally {
    await d.close();
  }
}

/** The services (buildServiceDeps, the one composition root) on the configured database, for a one-shot verb. */
async function withServices<T>(fn: (s: Services, config: Config) => Promise<T>, level = 'warn'): Promise<T> {
  return withDb(async (d, c) => {
    const s = await buildServiceDeps(c, { database: d, logger: cliLogger(c, level) });
    return fn(s, c);
  });
}

function assertNotServed(c: Config): void {
  if (c.storage.databaseUrl) return;
  const pid = runningPid(c);
  if (pid) {
    throw new StartupError(
      `The agent (pid ${pid}) holds the embedded database in ${c.storage.dataDir}. Stop it first, or use its JSON API (GET /v1/proposals, POST /v1/proposals/:id/decision) while it runs.`,
    );
  }
}

async function demo(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { keep: { type: 'boolean' }, memory: { type: 'boolean' } } });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.keep && values.memory) throw new UsageError('demo takes --keep or --memory, not both');
  const c = config();
  const target = values.memory ? 'memory' : c.storage.databaseUrl && !values.keep ? 'memory' : 'configured';
  const embedded = target === 'configured' && !c.storage.databaseUrl;
  if (target === 'configured') assertNotServed(c);
  // While the demo writes into the data folder, an `npm start` beside it refuses as it would beside an agent.
  if (embedded) {
    mkdirSync(path.dirname(lockPath(c)), { recursive: true });
    writeFileSync(lockPath(c), String(process.pid));
  }
  try {
    return await runDemo(c, out, { target, logger: cliLogger(c, 'error') });
  } finally {
    if (embedded) rmSync(lockPath(c), { force: true });
  }
}

async function serve(): Promise<number> {
  const config = loadConfig(io.env);
  if (!config.storage.databaseUrl) {
    const pid = runningPid(config);
    if (pid) throw new StartupError(`Another sre-agent process (pid ${pid}: an agent, or a demo writing into it) holds the embedded database in ${config.storage.dataDir}.`);
  }
  const agent = await createAgent(config);
  if (!config.storage.databaseUrl) {
    mkdirSync(path.dirname(lockPath(config)), { recursive: true });
    writeFileSync(lockPath(config), String(process.pid));
  }
  await agent.start();
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      agent.logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => {
        agent.logger.error('shutdown took longer than 25 s; exiting');
        resolve(1);
      }, 25_000);
      force.unref();
      agent
        .stop()
        .then(() => {
          if (!config.storage.databaseUrl) rmSync(lockPath(config), { force: true });
          clearTimeout(force);
          resolve(0);
        })
        .catch((e: unknown) => {
          agent.logger.error({ err: e }, 'shutdown failed');
          resolve(1);
        });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

async function ingestFile(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError('ingest takes one FILE.jsonl');
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
  const items: IngestItem[] = [];
  const problems: string[] = [];
  const size = statSync(file).size;
  const reading = progress(`checking ${file}`, 'bytes', size);
  let bytes = 0;
  let i = 0;
  // Line by line: a file of millions of events never has to fit in one string.
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    i++;
    bytes += Buffer.byteLength(line) + 1;
    if (i % 1000 === 0) reading.update(Math.min(bytes, size));
    if (!line.trim()) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      problems.push(`line ${i}: malformed JSON: ${(e as Error).message}`);
      continue;
    }
    const r = parseEvent(raw);
    if (r.ok) items.push({ event: r.event, via: 'file' });
    else problems.push(...r.problems.map((p) => `line ${i}${r.id ? ` (${r.id})` : ''}: ${p}`));
  }
  reading.finish();
  // A file with any bad line changes nothing: fix it and run again.
  if (problems.length > 0) {
    const shown = problems.slice(0, 200);
    err(`${file}: ${problems.length} problem(s); nothing was ingested:\n${shown.map((p) => `  - ${p}`).join('\n')}${problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : ''}`);
    return 1;
  }
  if (items.length === 0) throw new UsageError(`${file} holds no events`);
  return withServices(async ({ deps }, c) => {
    let accepted = 0;
    let duplicates = 0;
    const opened: string[] = [];
    const storing = progress(`storing ${file}`, 'events', items.length);
    const started = performance.now();
    for (let i = 0; i < items.length; i += 500) {
      const r = await ingestEvents(deps, items.slice(i, i + 500));
      accepted += r.accepted.length;
      duplicates += r.duplicates.length;
      opened.push(...r.incidentsOpened);
      storing.update(Math.min(i + 500, items.length));
    }
    storing.finish(`${formatCount(items.length)} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    out(`${file}: ${accepted} event(s) stored, ${duplicates} duplicate(s), ${opened.length} incident(s) opened${opened.length ? `: ${opened.join(', ')}` : ''}`);
    if (opened.length && !c.storage.databaseUrl) out('The agent proposes actions for new incidents when it next runs (npm start).');
    return 0;
  });
}

async function pending(): Promise<number> {
  return withServices(async ({ deps }) => {
    const list = await listProposals(deps, { status: 'pending' });
    if (list.length === 0) {
      out('No pending proposals.');
      return 0;
    }
    for (const p of list) {
      out(`${p.id}  risk ${String(p.risk_score).padStart(3)}  ${p.action}  ${p.incident.subject}  (created ${p.created_at}, expires ${p.expires_at})`);
    }
    return 0;
  });
}

async function decideVerb(verb: 'approve' | 'reject', args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { as: { type: 'string' }, reason: { type: 'string' } } });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError(`${verb} takes one proposal ID`);
  if (!values.as || !/^[A-Za-z0-9._@-]{1,64}$/.test(values.as)) throw new UsageError(`${verb} needs --as NAME (letters, digits, . _ @ -), the operator recorded in the audit trail`);
  if (verb === 'approve' && values.reason !== undefined) throw new UsageError('--reason goes with reject');
  return withServices(async ({ deps }) => {
    const view = await decide(deps, { proposalId: id, decision: verb, reason: values.reason, actor: { type: 'user', name: values.as!, via: 'cli' } });
    const progress = approvalProgress(view);
    if (progress) out(`${view.id}: approval recorded (${progress}); a second person must approve before it executes`);
    else out(`${view.id}: ${view.status} by ${view.decided_by}${view.result ? ` — result: ${JSON.stringify(view.result)}` : ''}`);
    return view.status === 'failed' ? 1 : 0;
  });
}

/** `revert ID --as NAME [--reason TEXT]`: the same verb, gate and approver rules as the API's revert. */
async function revertVerb(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { as: { type: 'string' }, reason: { type: 'string' } } });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError('revert takes one proposal ID');
  if (!values.as || !/^[A-Za-z0-9._@-]{1,64}$/.test(values.as)) throw new UsageError('revert needs --as NAME (letters, digits, . _ @ -), the operator recorded in the audit trail');
  return withServices(async ({ deps }) => {
    const view = await revert(deps, { proposalId: id, actor: { type: 'user', name: values.as!, via: 'cli' }, reason: values.reason });
    out(`${view.id}: reverted by ${view.reverted_by ?? values.as!}`);
    return 0;
  });
}

function statusLine(s: AgentStatus): string {
  return s.paused ? `mode ${s.mode}; PAUSED by ${s.paused_by ?? '?'} since ${s.paused_at ?? '?'}: ${s.paused_reason ?? ''}` : `mode ${s.mode}; running (not paused)`;
}

async function killSwitchVerb(verb: 'pause' | 'resume' | 'status', args: string[]): Promise<number> {
  const options: Record<string, { type: 'string' }> = verb === 'pause' ? { as: { type: 'string' }, reason: { type: 'string' } } : verb === 'resume' ? { as: { type: 'string' }, reason: { type: 'string' } } : {};
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options, strict: true });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  const v = { as: str(values.as), reason: str(values.reason) };
  if (verb !== 'status' && (!v.as || !/^[A-Za-z0-9._@-]{1,64}$/.test(v.as))) throw new UsageError(`${verb} needs --as NAME (letters, digits, . _ @ -), the operator recorded in the audit trail`);
  if (verb === 'pause' && !v.reason?.trim()) throw new UsageError('pause needs --reason TEXT: say why, it is shown on every proposal while paused');
  if (verb === 'resume' && !v.reason?.trim()) throw new UsageError('resume needs --reason TEXT: say why it is safe to execute again (recorded in the audit trail)');
  return withServices(async ({ deps }) => {
    const actor = { type: 'user', name: v.as ?? '', via: 'cli' } as const;
    const s =
      verb === 'status'
        ? await agentStatus(deps)
        : verb === 'pause'
          ? await pause(deps, { reason: v.reason, actor })
          : await resume(deps, { reason: v.reason, actor });
    out(statusLine(s));
    return 0;
  });
}

/** `silence add | list | end`: whoever may approve here (--as NAME, as approve) may make and end one. */
async function silenceVerb(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const options = { as: { type: 'string' }, reason: { type: 'string' }, for: { type: 'string' }, until: { type: 'string' }, schedule: { type: 'string' }, format: { type: 'string' } } as const;
  const { positionals, values: v } = parseArgs({ args: rest, allowPositionals: true, options, strict: true });
  const needAs = () => {
    if (!v.as || !/^[A-Za-z0-9._@-]{1,64}$/.test(v.as)) throw new UsageError(`silence ${sub} needs --as NAME (letters, digits, . _ @ -), the operator recorded in the audit trail`);
    return { type: 'user', name: v.as, via: 'cli' } as const;
  };
  if (sub === 'list') {
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    return withServices(async ({ deps }) => {
      const list = await listSilences(deps);
      if (v.format === 'json') out(JSON.stringify(list));
      else if (list.length === 0) out('no silences');
      for (const s of v.format === 'json' ? [] : list) out(silenceRow(s));
      return 0;
    });
  }
  if (sub === 'end') {
    if (positionals.length !== 1) throw new UsageError('silence end takes one silence ID');
    const actor = needAs();
    return withServices(async ({ deps }) => {
      out(silenceRow(await endSilence(deps, { id: positionals[0]!, actor })));
      return 0;
    });
  }
  if (sub !== 'add') throw new UsageError(`silence ${sub ?? ''}: expected add, list or end`);
  const actor = needAs();
  const tokens = matcherTokens(positionals);
  if (!tokens.ok) throw new UsageError(`silence add: ${tokens.problem} (a matcher such as provider=openai)`);
  if (!v.reason?.trim()) throw new UsageError('silence add needs --reason TEXT: say why, it is shown on every incident it holds');
  const forMs = v.for === undefined ? undefined : parseSilenceDuration(v.for);
  if (v.for !== undefined && forMs === undefined) throw new UsageError(`--for: "${v.for}" is not a duration such as 90m, 2h or 1d`);
  if (forMs === undefined && !v.until && !v.schedule) throw new UsageError('silence add needs --for DURATION (or --until ISO, at most 7 days ahead)');
  return withServices(async ({ deps }) => {
    const made = await createSilence(deps, { matchers: tokens.value, reason: v.reason, actor, ends_at: v.until, schedule: v.schedule, ...(forMs !== undefined ? { forMs } : {}) });
    out(silenceRow(made));
    return 0;
  });
}

function silenceRow(s: SilenceView): string {
  const when = s.schedule ? `every ${s.schedule}${s.next ? `, next ${s.next.starts_at} – ${s.next.ends_at}` : ''}` : `${s.starts_at} – ${s.ends_at ?? '?'}`;
  const state = s.ended_at ? `ended by ${s.ended_by ?? '?'} at ${s.ended_at}` : s.active ? 'active' : 'not active now';
  return `${s.id}  ${matcherText(s.matchers)}  ${when}  ${state}  by ${s.created_by}: ${s.reason}`;
}

async function audit(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'verify') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { checkpoints: { type: 'string' } } });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    return withDb(async (d, config) => {
      const signed = values.checkpoints === undefined ? undefined : await checkpointsToVerify(values.checkpoints, config);
      // One database function walks the chain: what can be shown meanwhile is its size and the time passing.
      const total = io.tty ? await auditRows(d, {}) : undefined;
      const p = progress('verifying the audit trail', 'rows', total);
      p.update();
      const timer = setInterval(() => p.update(), 1000);
      const r = await verifyAudit(d.db, { tier: config.license.tier }).finally(() => {
        clearInterval(timer);
        p.finish();
      });
      if (!r.ok) {
        err(r.brokenSeq === null ? `audit trail BROKEN: ${r.problem}` : `audit trail BROKEN at seq ${r.brokenSeq}: ${r.problem} (${r.checked} row(s) verified before it)`);
        return 1;
      }
      out(`audit trail intact: ${r.checked} row(s) verified; ${r.eventBatchesChecked} event batch(es) match their digest${r.eventBatchesPurged > 0 ? `, ${r.eventBatchesPurged} already purged by retention` : ''}`);
      if (signed) {
        const c = await verifyCheckpoints(d.db, signed.key, signed.entries);
        if (!c.ok) {
          err(`audit trail BROKEN against ${values.checkpoints}: ${c.problem}`);
          return 1;
        }
        out(`checkpoints hold: ${c.checked} signed checkpoint(s) match the trail${c.purged > 0 ? `, ${c.purged} older than a retention cutoff` : ''}`);
      }
      return 0;
    });
  }
  if (sub === 'purge') {
    return withDb(async (d, config) => {
      const r = await runRetention(d.db, config.license.tier, 'cli:audit purge');
      out(`purged ${r.auditPurged} audit row(s) and ${r.eventsPurged} raw event(s) older than ${r.cutoff.toISOString()} (${config.license.tier} tier); anchor row ${r.anchorSeq}`);
      return 0;
    });
  }
  if (sub === 'export') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { source: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, out: { type: 'string' } } });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const since = values.since ? isoDate('--since', values.since) : undefined;
    const until = values.until ? isoDate('--until', values.until) : undefined;
    return withDb(async (d) => {
      const filter: AuditFilter = { source: values.source, since, until };
      const sink = values.out ? createWriteStream(values.out) : io.stdout;
      const p = progress('exporting the audit trail', 'rows', io.tty ? await auditRows(d, filter) : undefined);
      const counted = { lines: 0, bytes: 0 };
      const started = performance.now();
      await pipeline(Readable.from(countLines(exportAuditCsv(d.db, filter, { copyClient: d.openCopyClient }), counted, (n) => p.update(Math.max(0, n - 1)))), sink, { end: values.out !== undefined });
      const rows = Math.max(0, counted.lines - 1);
      p.finish(`exported ${formatCount(rows)} row(s), ${(counted.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      if (values.out) err(`audit exported to ${values.out}`);
      return 0;
    });
  }
  throw new UsageError(sub ? `unknown audit verb "${sub}"` : 'audit needs export, verify or purge');
}

/** The checkpoint file and the key that checks it (the public half of SRE_AUDIT_SIGNING_KEY). */
async function checkpointsToVerify(file: string, config: Config): Promise<{ key: KeyObject; entries: Awaited<ReturnType<typeof readCheckpoints>> }> {
  if (!config.audit.signingKey) throw new UsageError('audit verify --checkpoints needs SRE_AUDIT_SIGNING_KEY, the key that signed them');
  if (!existsSync(file)) throw new UsageError(`--checkpoints: ${file} does not exist`);
  return { key: verifyingKey(config.audit.signingKey), entries: await readCheckpoints(file) };
}

const REPORT_FORMATS = { text: reportText, json: (r: object) => JSON.stringify(r, null, 2), csv: reportCsv } as const;

/** A bad `--since` is a usage error before anything is opened (only its form is checked here). */
function checkSince(since: string): void {
  if (!parseSince(since, systemClock.now())) throw new UsageError(`--since: ${SINCE_HINT}, got "${since}"`);
}

async function report(args: string[]): Promise<number> {
  if (args[0] === 'incident') return incidentReportVerb(args.slice(1));
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { since: { type: 'string' }, format: { type: 'string' } } });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const format = values.format ?? 'text';
  if (!Object.hasOwn(REPORT_FORMATS, format)) throw new UsageError(`--format: expected text, json or csv, got "${format}"`);
  const since = values.since ?? '30d';
  checkSince(since);
  refuseServedFolder(`GET /v1/report?since=${since} or the console's /sre/report`);
  return withServices(async ({ deps }) => {
    const r = await tuningReport(deps, { since });
    out(REPORT_FORMATS[format as keyof typeof REPORT_FORMATS](r).replace(/\n$/, ''));
    return 0;
  });
}

/** `eval export [--since 30d]`: the replay file (docs/replay.md) on stdout, what was left out on stderr. */
async function evalVerb(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'export') throw new UsageError(sub ? `unknown eval verb "${sub}" (expected export)` : 'eval needs export');
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { since: { type: 'string' } } });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const since = values.since ?? '30d';
  checkSince(since);
  return withServices(async ({ deps }) => {
    const r = await exportDecisions(deps, { since });
    for (const line of r.records) out(JSON.stringify(line));
    for (const s of r.skipped) err(`left out ${s.proposalId}: ${s.problem}`);
    err(`exported ${r.records.length} decided incident(s) since ${r.since.toISOString()}${r.skipped.length ? `; ${r.skipped.length} left out` : ''}`);
    return 0;
  });
}

/** PGlite is one process: while the agent serves the embedded database, a verb reads through the agent instead. */
function refuseServedFolder(instead: string): void {
  const c = config();
  const pid = c.storage.databaseUrl ? undefined : runningPid(c);
  if (pid) throw new StartupError(`The agent (pid ${pid}) holds the embedded database in ${c.storage.dataDir}. While it runs, read it from the agent: ${instead}.`);
}

/** `report incident ID [--format markdown|json] [--narrative]`: the incident report, Markdown by default; the model's paragraph with --narrative. */
async function incidentReportVerb(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string' }, narrative: { type: 'boolean' } } });
  const [id, extra] = positionals;
  if (!id) throw new UsageError('report incident needs an incident id');
  if (extra) throw new UsageError(`unexpected argument "${extra}"`);
  const format = values.format ?? 'markdown';
  if (format !== 'markdown' && format !== 'json') throw new UsageError(`--format: expected markdown or json, got "${format}"`);
  refuseServedFolder(`GET /v1/incidents/${encodeURIComponent(id)}/report or the console's Report button`);
  return withServices(async ({ deps }) => {
    const r = await incidentReport(deps, { id, narrative: values.narrative === true });
    out(format === 'json' ? JSON.stringify(r, null, 2) : reportMarkdown(r).replace(/\n$/, ''));
    return 0;
  });
}

async function auditRows(d: Database, filter: AuditFilter): Promise<number> {
  const [r] = await d.db.select({ n: count() }).from(schema.sreActions).where(and(...auditWhere(filter)));
  return Number(r?.n ?? 0);
}

/** Passes CSV chunks through, counting line ends (a row whose cell holds a line break counts more than once). */
async function* countLines(source: AsyncIterable<string | Buffer>, counted: { lines: number; bytes: number }, onCount: (lines: number) => void): AsyncGenerator<string | Buffer> {
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    counted.bytes += buf.length;
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) counted.lines++;
    onCount(counted.lines);
    yield chunk;
  }
}

function isoDate(flag: string, v: string): Date {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new UsageError(`${flag}: expected an ISO 8601 time, got "${v}"`);
  return d;
}

