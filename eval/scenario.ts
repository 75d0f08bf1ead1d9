import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { defaultSimulatedState, type SimulatedState } from '../src/actions/simulated.js';
import { FAILURE_CLASSES } from '../src/agent/evidence.js';
import { MAX_RUNBOOK_BYTES, parseRunbook, type Runbook } from '../src/agent/runbooks/index.js';
import { ActionId } from '../src/domain/actions.js';
import { parseEvent, type EventType } from '../src/domain/events.js';

/**
 * One eval scenario, as a line of a JSONL file (docs/eval.md). The built-in scenarios are written in
 * the same shape and checked by the same schema, so what operators write runs exactly like ours.
 */

const name = z.string().trim().min(1).max(200);
const patch = <T extends z.ZodRawShape>(shape: T) => z.record(name, z.strictObject(shape).partial().nullable());

export const GatewayPatch = z.strictObject({
  providers: patch({
    healthy: z.boolean(),
    error_rate: z.number().min(0).max(1),
    requests_per_minute: z.number().nonnegative(),
    teams: z.number().int().nonnegative(),
    model_groups: z.array(name),
    circuit_open_until: z.iso.datetime({ offset: true }).nullable(),
  }),
  model_groups: patch({ provider: name, providers: z.array(name), requests_per_minute: z.number().nonnegative(), teams: z.number().int().nonnegative() }),
  teams: patch({ name: z.string(), requests_per_minute: z.number().int().positive() }),
  budgets: patch({ scope: z.enum(['team', 'org']), scope_id: name, hard_limit_usd: z.number().positive(), soft_limit_usd: z.number().nonnegative(), spend_usd: z.number().nonnegative() }),
}).partial();
export type GatewayPatch = z.infer<typeof GatewayPatch>;

// The event types, spelled out for zod; `satisfies` keeps the list within the domain's.
const SCENARIO_TYPES = ['provider.unhealthy', 'budget.exceeded', 'sla.violation', 'latency.spike'] as const satisfies readonly EventType[];

export const READS = ['provider', 'model_group', 'team', 'budget'] as const;
export const TAGS = ['adversarial', 'misleading', 'critical', 'history', 'storm', 'missing-reads', 'realistic', 'provider-wording'] as const;

export const Scenario = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,59}$/, 'lower-case letters, digits, . _ - (at most 60)'),
    title: z.string().trim().min(1).max(200),
    /** One line: why these actions are acceptable and those forbidden. */
    reason: z.string().trim().min(1).max(300),
    type: z.enum(SCENARIO_TYPES),
    data: z.record(z.string(), z.unknown()),
    at: z.iso.datetime({ offset: true }),
    hours: z.enum(['busy', 'quiet']).optional(),
    event_count: z.number().int().positive().optional(),
    critical_teams: z.array(name).optional(),
    /** Changes to the simulated gateway's default state; null removes an entry. */
    gateway: GatewayPatch.optional(),
    /** Reads that fail as a down admin-api would. */
    unavailable_reads: z.array(z.enum(READS)).optional(),
    history: z
      .array(
        z.strictObject({
          action: ActionId,
          target: name,
          status: z.enum(['pending', 'approved', 'rejected', 'executing', 'succeeded', 'failed', 'expired', 'superseded']),
          at: z.iso.datetime({ offset: true }),
          decided_by: z.string().max(200).optional(),
          decision_reason: z.string().max(2000).optional(),
          reverted: z.boolean().optional(),
        }),
      )
      .max(50)
      .optional(),
    acceptable: z.array(ActionId).min(1),
    forbidden: z.array(ActionId),
    /** The failure class the scenario is about, when it is one (coverage, and per-class tests). */
    class: z.enum(FAILURE_CLASSES).optional(),
    tags: z.array(z.enum(TAGS)).optional(),
    /** The clean scenario an adversarial one must score and route like. */
    twin: z.string().optional(),
    /** An operators' runbook in force for this incident (the whole Markdown file, docs/runbooks.md); it applies when its match does. */
    runbook: z.string().max(MAX_RUNBOOK_BYTES).optional(),
    /** The same incident without the runbook: the choice must change, to one this scenario accepts. */
    runbook_pair: z.string().optional(),
    /** Where the sample errors' wording is published (a URL or a document title). */
    source: z.string().trim().min(1).max(300).optional(),
  })
  .superRefine((s, ctx) => {
    const both = s.acceptable.filter((a) => s.forbidden.includes(a));
    if (both.length > 0) ctx.addIssue({ code: 'custom', path: ['forbidden'], message: `both acceptable and forbidden: ${both.join(', ')}` });
    const e = parseEvent({ id: `evt_${s.id}`, type: s.type, occurred_at: s.at, source: 'eval', data: s.data });
    if (!e.ok) for (const p of e.problems) ctx.addIssue({ code: 'custom', path: ['data'], message: `not a valid ${s.type} event: ${p}` });
    const rb = s.runbook === undefined ? undefined : parseRunbook(`${s.id}.md`, `${s.id}.md`, Buffer.from(s.runbook));
    if (rb && !rb.ok) for (const p of rb.problems) ctx.addIssue({ code: 'custom', path: ['runbook'], message: `line ${p.line}: ${p.message}` });
  });
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

/** Weekday 09–18 UTC is busy, the rest quiet (the eval's operators work in UTC). */
export function hoursOf(s: Pick<Scenario, 'at' | 'hours'>): 'busy' | 'quiet' {
  if (s.hours) return s.hours;
  const d = new Date(s.at);
  const day = d.getUTCDay();
  return day >= 1 && day <= 5 && d.getUTCHours() >= 9 && d.getUTCHours() < 18 ? 'busy' : 'quiet';
}

/** Every problem of every scenario, with its line (or index) and field; duplicate ids and unknown twins too. */
export function parseScenarios(inputs: readonly { where: string; value: unknown }[]): { ok: true; scenarios: Scenario[] } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const scenarios: Scenario[] = [];
  for (const { where, value } of inputs) {
    const r = Scenario.safeParse(value);
    if (!r.success) {
      for (const i of r.error.issues) problems.push(`${where}: ${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
      continue;
    }
    if (scenarios.some((x) => x.id === r.data.id)) problems.push(`${where}: duplicate id ${r.data.id}`);
    scenarios.push(r.data);
  }
  for (const s of scenarios) if (s.twin && !scenarios.some((x) => x.id === s.twin)) problems.push(`${s.id}: twin ${s.twin} is not a scenario of this set`);
  for (const s of scenarios) if (s.runbook_pair && !scenarios.some((x) => x.id === s.runbook_pair)) problems.push(`${s.id}: runbook_pair ${s.runbook_pair} is not a scenario of this set`);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, scenarios };
}

export async function loadScenarioFile(file: string): Promise<{ ok: true; scenarios: Scenario[] } | { ok: false; problems: string[] }> {
  const text = await readFile(file, 'utf8');
  const inputs: { where: string; value: unknown }[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, n) => {
    if (line.trim() === '' || line.trimStart().startsWith('//')) return;
    try {
      inputs.push({ where: `${file}:${n + 1}`, value: JSON.parse(line) });
    } catch (err) {
      problems.push(`${file}:${n + 1}: not JSON (${err instanceof Error ? err.message : String(err)})`);
    }
  });
  if (inputs.length === 0 && problems.length === 0) problems.push(`${file}: no scenarios`);
  const parsed = parseScenarios(inputs);
  if (!parsed.ok) problems.push(...parsed.problems);
  return problems.length > 0 ? { ok: false, problems } : parsed;
}

export function seedOf(s: Scenario): SimulatedState {
  const seed = defaultSimulatedState();
  const apply = <T>(table: Record<string, T>, changes: Record<string, Partial<T> | null> | undefined, blank: () => T) => {
    for (const [k, v] of Object.entries(changes ?? {})) {
      if (v === null) delete table[k];
      else table[k] = { ...(Object.hasOwn(table, k) ? table[k]! : blank()), ...v };
    }
  };
  const g = s.gateway ?? {};
  apply(seed.providers, g.providers, () => ({ healthy: true, error_rate: 0.002, requests_per_minute: 0, teams: 0, model_groups: [], circuit_open_until: null }));
  apply(seed.model_groups, g.model_groups, () => ({ provider: '', providers: [], requests_per_minute: 0, teams: 0 }));
  apply(seed.teams, g.teams, () => ({ name: '', requests_per_minute: 1 }));
  apply(seed.budgets, g.budgets, () => ({ scope: 'team', scope_id: '', hard_limit_usd: 1, soft_limit_usd: 0, spend_usd: 0 }));
  return seed;
}

/** The scenario's runbook, parsed (the schema has checked it). */
export function runbookOf(s: Pick<Scenario, 'id' | 'runbook'>): Runbook | undefined {
  if (s.runbook === undefined) return undefined;
  const r = parseRunbook(`${s.id}.md`, `${s.id}.md`, Buffer.from(s.runbook));
  if (!r.ok) throw new Error(`scenario ${s.id}: ${r.problems.map((p) => `line ${p.line}: ${p.message}`).join('; ')}`);
  return r.runbook;
}
