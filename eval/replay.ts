/**
 * `npm run eval -- --replay decisions.jsonl`: every decision a person made (`sre-agent eval export`)
 * reasoned about again by today's reasoner, runbooks and policy, from what was recorded (the events,
 * the gateway's answers, the history), and compared with what the person decided. docs/replay.md.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { replayReads } from '../src/actions/recorded-reads.js';
import type { IncidentContext, Reasoner } from '../src/agent/reasoner.js';
import { matchRunbook, runbookRefusal, type Runbook } from '../src/agent/runbooks/index.js';
import { normalizeAction, type ActionRequest } from '../src/domain/actions.js';
import { humanRequired } from '../src/domain/approvals.js';
import { eventContradiction } from '../src/domain/contradiction.js';
import { parseDecisionRecord, pastIncidentOf, type DecisionRecord } from '../src/domain/decision-record.js';
import { pagesWithoutApproval, routeProposal, type PolicySettings } from '../src/domain/policy.js';
import { scoreRisk, subjectOf } from '../src/domain/risk.js';
import { targetProblem, targetsOf } from '../src/domain/targets.js';
import type { ApproverRules } from '../src/domain/approver-rules.js';
import { gatherFacts } from '../src/proposals/score.js';
import { compareOne, type Replayed } from './agreement.js';

/** Today's policy, from the configuration (SRE_RISK_THRESHOLD, SRE_AUTO_APPROVE, …). */
export interface ReplayPolicy extends PolicySettings {
  timeZone: string;
  criticalTeams: readonly string[];
  twoPersonScore: number;
  approverRules?: ApproverRules;
}

/** Every line of the file checked before anything runs: the records, or each bad line's number and problem. */
export async function readDecisionFile(file: string): Promise<{ ok: true; records: DecisionRecord[] } | { ok: false; problems: string[] }> {
  const records: DecisionRecord[] = [];
  const problems: string[] = [];
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    n++;
    if (!line.trim()) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      problems.push(`line ${n}: not JSON: ${(e as Error).message}`);
      continue;
    }
    const r = parseDecisionRecord(raw);
    if (r.ok) records.push(r.record);
    else problems.push(...r.problems.map((p) => `line ${n}: ${p}`));
  }
  if (problems.length === 0 && records.length === 0) problems.push('the file holds no decisions');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, records };
}

/** The incident as the reasoner saw it when the proposal was made, with today's matching runbook. */
export function contextOf(r: DecisionRecord, runbooks: readonly Runbook[]): IncidentContext {
  const i = r.incident;
  const ctx: IncidentContext = {
    incident: { id: i.id, key: i.key, type: i.type, subject: i.subject, status: 'open', firstSeen: new Date(i.first_seen), lastSeen: new Date(i.last_seen), eventCount: i.event_count, latest: i.latest, first: i.first },
    recentEvents: r.events.map((e) => ({ id: e.id, occurredAt: new Date(e.occurred_at), data: e.data })),
    history: r.history.map((h) => ({
      proposalId: h.proposal_id,
      incidentId: h.incident_id,
      action: h.action,
      target: h.target,
      status: h.status,
      createdAt: new Date(h.created_at),
      decidedBy: h.decided_by,
      decisionReason: h.decision_reason,
      reverted: h.reverted,
    })),
    pastIncidents: r.past_incidents.map(pastIncidentOf),
    now: new Date(r.proposal.created_at),
  };
  const runbook = matchRunbook(runbooks, ctx);
  return runbook ? { ...ctx, runbook } : ctx;
}

/** What code does with a draft in production (proposals/propose.ts): outside the library, the targets or the runbook, a page. */
function checked(ctx: IncidentContext, action: string, params: Record<string, unknown>, alternatives: string[] | undefined): { request: ActionRequest; refused?: string } {
  const n = normalizeAction(action, params);
  const problem = n.ok
    ? (runbookRefusal(ctx.runbook, n.request.action) ?? targetProblem(n.request, targetsOf(ctx.incident.type, ctx.incident.latest, { alternatives: alternatives ?? [] })))
    : n.problems.join('; ');
  if (n.ok && !problem) return { request: n.request };
  const page = normalizeAction('page_oncall', { severity: 'error', summary: `${ctx.incident.type} on ${ctx.incident.subject}`.slice(0, 1024), reason: `the proposed ${action} was refused`.slice(0, 500) });
  if (!page.ok) throw new Error('page_oncall fallback failed validation');
  return { request: page.request, refused: problem };
}

/** One decision reasoned about again: the action, its score and its route under today's policy. */
export async function replayOne(reasoner: Reasoner, r: DecisionRecord, runbooks: readonly Runbook[], policy: ReplayPolicy): Promise<Replayed> {
  const ctx = contextOf(r, runbooks);
  const gateway = replayReads(r.gateway_reads);
  const draft = await reasoner.propose(ctx, gateway);
  const facts = await gatherFacts(gateway, ctx);
  const { request, refused } = checked(ctx, draft.action, draft.params, facts.alternatives);
  const subject = subjectOf(request, ctx.incident.key);
  const before = (at: string) => new Date(at);
  const risk = scoreRisk({
    request,
    now: ctx.now,
    timeZone: policy.timeZone,
    criticalTeams: policy.criticalTeams,
    incident: {
      type: ctx.incident.type,
      teams: targetsOf(ctx.incident.type, ctx.incident.latest).teams,
      requestsPerMinute: facts.requestsPerMinute,
      teamsAffected: facts.teamsAffected,
      healthyAlternatives: facts.alternatives === undefined ? undefined : facts.alternatives.length,
      readsMissing: facts.readsMissing,
    },
    history: r.history.filter((h) => h.target === subject).map((h) => ({ action: h.action, target: h.target, status: h.status, createdAt: before(h.created_at), decidedAt: h.decided_at ? before(h.decided_at) : null, decisionReason: h.decision_reason })),
    subject,
    failedVerifications: r.history.filter((h) => h.verification_failed_at !== null).map((h) => ({ action: h.action, target: h.target, at: before(h.verification_failed_at!), reason: null, reverted: h.reverted })),
    // Under a runbook the model may raise the score, never lower it (proposals/propose.ts).
    ...(draft.riskAdjustment && !(ctx.runbook && draft.riskAdjustment.delta < 0) ? { modelAdjustment: draft.riskAdjustment } : {}),
  });
  return { record: r, action: request.action, target: subject, params: request.params as Record<string, unknown>, score: risk.score, auto: routesAuto(ctx, request, risk.score, facts.reads, policy), refused, fallback: draft.fallbackReason, runbook: ctx.runbook?.path };
}

/** Whether today's policy would execute it without a person (the brakes of the moment — kill switch, cooldown, hourly cap — are not replayed). */
function routesAuto(ctx: IncidentContext, request: ActionRequest, score: number, reads: Parameters<typeof eventContradiction>[2], policy: ReplayPolicy): boolean {
  if (routeProposal(score, policy, request.action).route !== 'auto') return false;
  if (pagesWithoutApproval(request.action, policy)) return true;
  if (eventContradiction(ctx.incident.type, ctx.incident.latest, reads)) return false;
  return humanRequired(request.action, score, policy) === undefined;
}

export async function replayAll(reasoner: Reasoner, records: readonly DecisionRecord[], runbooks: readonly Runbook[], policy: ReplayPolicy) {
  const out = [];
  for (const r of records) out.push(compareOne(await replayOne(reasoner, r, runbooks, policy)));
  return out;
}
