import { z } from 'zod';
import { ACTION_IDS, normalizeAction, type ActionId, type ActionRequest, type Adjustment } from '../../domain/actions.js';
import { MODEL_ADJUSTMENT_BOUND } from '../../domain/risk.js';
import type { IncidentContext } from '../reasoner.js';
import { PROPOSE_PREFIX } from './tools.js';
import type { IncidentTargets } from './targets.js';

/**
 * What code makes of a model's propose_<action> call: zod validation and clamps from the domain
 * library, facts (`previous` values) taken from the admin-api rather than the model, targets
 * checked against the incident's enums, and a bounded risk suggestion.
 */

export const ProposalExtras = z.object({
  rationale: z.string().trim().min(1).max(4000),
  risk_adjustment: z.strictObject({ delta: z.number().finite(), reason: z.string().trim().min(1).max(300) }).optional(),
});
export type ProposalExtras = z.infer<typeof ProposalExtras>;

export type ProblemKind = 'unknown_tool' | 'foreign_target' | 'invalid_input';

export type CheckedProposal =
  | {
      ok: true;
      request: ActionRequest;
      rationale: string;
      riskAdjustment?: { delta: number; reason: string };
      adjustments: Adjustment[];
    }
  | { ok: false; kind: ProblemKind; problems: string[] };

export interface CheckOptions {
  /** False when untrusted data carried instruction-like text: then the model may not lower the risk. */
  allowLowering: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function actionOfTool(name: string): ActionId | undefined {
  if (!name.startsWith(PROPOSE_PREFIX)) return undefined;
  const id = name.slice(PROPOSE_PREFIX.length);
  return (ACTION_IDS as readonly string[]).includes(id) ? (id as ActionId) : undefined;
}

export function checkProposal(
  toolName: string,
  input: unknown,
  offered: readonly ActionId[],
  t: IncidentTargets,
  opts: CheckOptions,
): CheckedProposal {
  const action = actionOfTool(toolName);
  if (!action || !offered.includes(action)) {
    return { ok: false, kind: 'unknown_tool', problems: [`unknown tool ${JSON.stringify(toolName)}; offered: ${offered.map((a) => PROPOSE_PREFIX + a).join(', ')}`] };
  }
  if (!isRecord(input)) return { ok: false, kind: 'invalid_input', problems: ['input: expected an object'] };
  const { rationale, risk_adjustment, ...raw } = input;
  const extras = ProposalExtras.safeParse({ rationale, risk_adjustment });
  if (!extras.success) {
    return { ok: false, kind: 'invalid_input', problems: extras.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  }

  const adjustments: Adjustment[] = [];
  const fact = (field: string, truth: unknown) => {
    if (raw[field] !== truth) {
      adjustments.push({ field, from: raw[field], to: truth, reason: 'the current value comes from the admin-api, not from the model' });
      raw[field] = truth;
    }
  };
  const foreign = (field: string, allowed: readonly unknown[]): CheckedProposal => ({
    ok: false,
    kind: 'foreign_target',
    problems: [`${field}: ${JSON.stringify(raw[field])} is not a target of this incident; allowed: ${JSON.stringify(allowed)}`],
  });

  // Targets first, so `previous` facts are filled in before the domain clamps against them.
  switch (action) {
    case 'circuit_break_provider':
      if (raw.provider !== t.provider) return foreign('provider', [t.provider]);
      break;
    case 'reroute_model_group': {
      const group = t.modelGroups.find((g) => g.name === raw.model_group);
      if (!group) return foreign('model_group', t.modelGroups.map((g) => g.name));
      if (!group.alternatives.includes(raw.provider as string)) return foreign('provider', group.alternatives);
      fact('previous_provider', group.current);
      break;
    }
    case 'raise_rate_limit': {
      const team = t.teams.find((x) => x.id === raw.team);
      if (!team) return foreign('team', t.teams.map((x) => x.id));
      fact('previous', team.requestsPerMinute);
      break;
    }
    case 'bump_budget_cap':
      if (!t.budget) return foreign('scope_id', []);
      if (raw.scope !== t.budget.scope) return foreign('scope', [t.budget.scope]);
      if (raw.scope_id !== t.budget.scopeId) return foreign('scope_id', [t.budget.scopeId]);
      fact('previous', t.budget.hardLimitUsd);
      break;
    case 'disable_sla_contract':
      if (!t.slaIds.includes(raw.sla_id as string)) return foreign('sla_id', t.slaIds);
      break;
    case 'disable_guardrail_rule':
      return foreign('rule', []);
    case 'page_oncall':
      break;
  }

  const n = normalizeAction(action, raw);
  if (!n.ok) return { ok: false, kind: 'invalid_input', problems: n.problems };
  adjustments.push(...n.adjustments);

  let riskAdjustment: { delta: number; reason: string } | undefined;
  const ra = extras.data.risk_adjustment;
  if (ra) {
    let delta = Math.max(-MODEL_ADJUSTMENT_BOUND, Math.min(MODEL_ADJUSTMENT_BOUND, Math.round(ra.delta)));
    if (delta !== ra.delta) {
      adjustments.push({ field: 'risk_adjustment.delta', from: ra.delta, to: delta, reason: `a suggestion is bounded to ±${MODEL_ADJUSTMENT_BOUND}` });
    }
    if (delta < 0 && !opts.allowLowering) {
      adjustments.push({
        field: 'risk_adjustment.delta',
        from: delta,
        to: 0,
        reason: 'the incident data carried instruction-like text, so the model may not lower the risk',
      });
      delta = 0;
    }
    if (delta !== 0) riskAdjustment = { delta, reason: ra.reason };
  }
  return { ok: true, request: n.request, rationale: extras.data.rationale, adjustments, ...(riskAdjustment ? { riskAdjustment } : {}) };
}

/**
 * Phrases that try to steer an agent; their presence in data is a signal, never a parser of intent.
 * They read text whose whitespace runs are folded to one character (`folded`), so each quantifier
 * meets one space at most and every pattern is linear in its input (issue 18: a `\s*` beside a
 * `\s*` took 13 s on "risk" and 3,000 spaces, holding the whole agent).
 */
const INJECTION_PATTERNS: readonly RegExp[] = [
  /ignore (?:(?:all|any|the|your|previous|prior|above) )*(?:instructions|rules|prompts?|guardrails)/i,
  /disregard (?:(?:all|your|previous|the) )*(?:instructions|rules)/i,
  /auto[- ]?approv/i,
  /disable (?:every|all) /i,
  /\bsystem ?(?:prompt|message|override)\b/i,
  /you are now\b/i,
  /risk[ \n]?(?:score[ \n]?)?(?:(?:of|to|=|:)[ \n]?)?0\b/i,
  /<\/? ?untrusted_/i,
  /\bnew instructions\b/i,
  /(?:^ ?|[\n.;:!?] ?)(?:system|assistant|admin(?:istrator)?|operator) ?:/i,
  /\bdisable (?:the )?guardrails?\b/i,
];

/** The most of one untrusted string that is read: longer than any field the agent accepts keeps. */
export const MAX_SCANNED_CHARS = 32_768;

/** Cut to MAX_SCANNED_CHARS, each whitespace run folded to one newline (if it held one) or one space. */
export function folded(s: string): string {
  const capped = s.length > MAX_SCANNED_CHARS ? s.slice(0, MAX_SCANNED_CHARS) : s;
  return capped.replace(/\s+/g, (run) => (run.includes('\n') ? '\n' : ' '));
}

/** Strings of the untrusted data an incident carries (event data, history reasons, pending text). */
export function untrustedStrings(ctx: IncidentContext, extra: readonly string[] = []): string[] {
  const out: string[] = [...extra];
  const walk = (v: unknown, depth: number) => {
    if (depth > 6 || out.length > 2000) return;
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    else if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) {
        out.push(k);
        walk(x, depth + 1);
      }
    }
  };
  walk(ctx.incident.latest, 0);
  walk(ctx.incident.first, 0);
  for (const e of ctx.recentEvents) walk(e.data, 0);
  for (const h of ctx.history) if (h.decisionReason) out.push(h.decisionReason);
  if (ctx.runbook) out.push(ctx.runbook.text);
  return out;
}

/** The patterns found, for the trace; empty when the data looks like plain data. */
export function detectInjection(texts: readonly string[]): string[] {
  const found = new Set<string>();
  for (const raw of texts) {
    const s = folded(raw);
    for (const p of INJECTION_PATTERNS) if (p.test(s)) found.add(p.source);
  }
  return [...found];
}
