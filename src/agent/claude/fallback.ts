import type { GatewayReads } from '../../actions/gateway.js';
import type { IncidentContext, ProposalDraft, ThreadAnswer, ThreadMessage } from '../reasoner.js';
import type { FailureCause } from './model-call.js';
import type { ReasonerEnv, Run } from './run.js';
import { trace } from './trace.js';
import { annotate, spanEvent } from '../../telemetry/index.js';

/** FailureCause of a model call, or why a run that reached the model still ended without a proposal. */
export type FallbackCause = FailureCause | 'refusal' | 'no_proposal' | 'budget' | 'error';

/** What answering without the model means in one mode. */
interface FallbackKind<R> {
  logMessage: string;
  failedMessage: string;
  /** The fallback reasoner's answer. */
  ask: () => Promise<R>;
  /** The answer when the fallback reasoner fails too. */
  lastResort: () => R;
  /** The answer with the reason recorded and the claude trace wrapped around the fallback's own. */
  finish: (answer: R, reason: string, claude: Record<string, unknown>) => R;
}

async function fallBack<R>(env: ReasonerEnv, ctx: IncidentContext, run: Run | undefined, kind: FallbackKind<R>, why: string, cause?: FallbackCause): Promise<R> {
  let reason = why;
  // On the reasoning span: that it fell back, and why (the cause sorts: timeout, 5xx, 429, malformed …).
  annotate({ 'sre.reasoning.fallback': true, ...(cause ? { 'sre.reasoning.fallback_cause': cause } : {}) });
  spanEvent('sre.reasoning.fallback', { 'sre.reasoning.fallback_reason': why.slice(0, 500), ...(cause ? { 'error.type': cause } : {}) });
  env.logger.warn({ incident_id: ctx.incident.id, reason, ...(cause ? { cause } : {}) }, kind.logMessage);
  let answer: R;
  try {
    answer = await kind.ask();
  } catch (err) {
    env.logger.error({ err, incident_id: ctx.incident.id }, kind.failedMessage);
    answer = kind.lastResort();
    reason = `${reason}; the fallback failed too`;
  }
  const fields = { fallback_reason: reason, ...(cause ? { fallback_cause: cause } : {}) };
  const claude = run ? trace(env, run, 'fallback', fields) : { reasoner: 'claude', outcome: 'fallback', ...fields };
  return kind.finish(answer, reason, claude);
}

export function fallbackPropose(env: ReasonerEnv, ctx: IncidentContext, gateway: GatewayReads, run: Run | undefined, why: string, cause: FallbackCause): Promise<ProposalDraft> {
  // The cause leads, so the proposal's fallback_reason sorts by it (timeout, 5xx, 429, malformed …).
  const reason = why.startsWith(`${cause}:`) ? why : `${cause}: ${why}`;
  return fallBack<ProposalDraft>(env, ctx, run, {
    logMessage: 'claude reasoning fell back to the playbook',
    failedMessage: 'fallback reasoner failed too',
    ask: () => env.fallback.propose(ctx, gateway),
    // The incident must still reach a human: paging is always in the library and always safe to ask.
    lastResort: () => ({
      action: 'page_oncall',
      params: { severity: 'error', summary: `Incident ${ctx.incident.id} (${ctx.incident.type}) needs a human: automated reasoning failed`, reason: 'reasoning unavailable' },
      reasoning: 'Neither the model nor the playbook produced a proposal; paging on-call.',
      reasoner: env.fallback.name,
    }),
    finish: (d, fallbackReason, claude) => ({ ...d, fallbackReason, trace: { ...claude, fallback_trace: d.trace ?? null } }),
  }, reason, cause);
}

export function fallbackConverse(env: ReasonerEnv, ctx: IncidentContext, thread: ThreadMessage[], gateway: GatewayReads, run: Run | undefined, why: string): Promise<ThreadAnswer> {
  return fallBack<ThreadAnswer>(env, ctx, run, {
    logMessage: 'claude conversation fell back to the playbook',
    failedMessage: 'fallback conversation failed too',
    ask: () => env.fallback.converse(ctx, thread, gateway),
    lastResort: () => ({ reply: 'I cannot answer right now (automated reasoning is unavailable); the pending proposal stands as it is.' }),
    finish: (a, reason, claude) => {
      const revision = a.revision ? { ...a.revision, fallbackReason: a.revision.fallbackReason ?? reason } : undefined;
      return { ...a, ...(revision ? { revision } : {}), trace: { ...claude, fallback_trace: a.trace ?? null } };
    },
  }, why);
}
