import type { GatewayReads } from '../../actions/gateway.js';
import { specFor } from '../../domain/actions.js';
import type { IncidentContext, ProposalDraft, ThreadAnswer, ThreadMessage } from '../reasoner.js';
import { fallbackConverse, fallbackPropose, type FallbackCause } from './fallback.js';
import type { End, Mode } from './loop.js';
import { CORRECTION_INVALID, CORRECTION_INVALID_REVISION, CORRECTION_TEXT_ONLY, FINAL_CALL, incidentMessage, proposeInstruction, threadMessage } from './prompt.js';
import type { ReasonerEnv, Run } from './run.js';
import { draftOf, trace } from './trace.js';

const overCause = (over: string): FallbackCause => (over.startsWith('timeout') ? 'timeout' : 'budget');
const errorText = (err: unknown) => `unexpected error: ${err instanceof Error ? err.message : String(err)}`;

/** Propose: the run ends with one accepted proposal; anything else is the playbook's proposal. */
export function proposeMode(env: ReasonerEnv, ctx: IncidentContext, gateway: GatewayReads): Mode<ProposalDraft> {
  const fallback = (run: Run | undefined, why: string, cause: FallbackCause) => fallbackPropose(env, ctx, gateway, run, why, cause);
  const crashed = (run: Run | undefined, err: unknown, aborted: boolean) => {
    env.logger.error({ err, incident_id: ctx.incident.id }, 'claude reasoning failed unexpectedly');
    return fallback(run, errorText(err), aborted ? 'timeout' : 'error');
  };
  const finish = async (run: Run, end: End): Promise<ProposalDraft> => {
    switch (end.kind) {
      case 'accepted':
        return draftOf(env, run, end.proposal);
      case 'exhausted':
        return fallback(run, end.why, overCause(end.why));
      case 'failed':
        return fallback(run, end.why, end.cause);
      case 'refused':
        return fallback(run, `no valid proposal after a corrective turn: ${end.refused.join(' | ')}`, 'no_proposal');
      case 'no_answer':
      case 'reply':
        return fallback(run, 'no proposal after a corrective turn (text-only answer)', 'no_proposal');
    }
  };
  return {
    name: 'propose',
    firstMessage: (t) => `${incidentMessage(ctx, t)}\n\n${proposeInstruction()}`,
    untrusted: [],
    lastCall: { toolChoice: { type: 'any' }, note: FINAL_CALL },
    corrections: { textOnly: CORRECTION_TEXT_ONLY, refused: CORRECTION_INVALID },
    textEnds: false,
    refusalEnds: true,
    finish,
    crashed,
  };
}

function revisionAnswer(env: ReasonerEnv, run: Run, end: Extract<End, { kind: 'accepted' }>): ThreadAnswer {
  const c = end.proposal;
  const draft = draftOf(env, run, c);
  const reply = end.text || `I propose instead: ${specFor(c.request.action).describe(c.request.params)}. ${c.rationale}`;
  return { reply, revision: draft, trace: draft.trace ?? trace(env, run, 'revision') };
}

/** Converse: the run ends with a reply, perhaps a revision; a cut-short run answers with its last text. */
export function converseMode(env: ReasonerEnv, ctx: IncidentContext, thread: ThreadMessage[], gateway: GatewayReads): Mode<ThreadAnswer> {
  const fallback = (run: Run | undefined, why: string) => fallbackConverse(env, ctx, thread, gateway, run, why);
  const crashed = (run: Run | undefined, err: unknown) => {
    env.logger.error({ err, incident_id: ctx.incident.id }, 'claude conversation failed unexpectedly');
    return fallback(run, errorText(err));
  };
  const finish = async (run: Run, end: End): Promise<ThreadAnswer> => {
    switch (end.kind) {
      case 'reply':
        return { reply: end.text, trace: trace(env, run, 'reply') };
      case 'accepted':
        return revisionAnswer(env, run, end);
      case 'exhausted':
        if (run.lastText) return { reply: run.lastText, trace: trace(env, run, 'reply', { note: end.why }) };
        return fallback(run, end.why);
      case 'failed':
        return fallback(run, end.why);
      case 'no_answer':
        return fallback(run, 'no answer after a corrective turn');
      case 'refused': {
        // The model's text may announce a change that code refused: the reply says so.
        const refusal = `No revision was made: ${end.refused[0]?.slice(0, 300) ?? 'refused by the guardrails'}`;
        if (run.lastText) return { reply: `${run.lastText}\n\n${refusal}`, trace: trace(env, run, 'reply', { revision_refused: end.refused }) };
        return fallback(run, `revision refused twice: ${end.refused.join(' | ')}`);
      }
    }
  };
  return {
    name: 'converse',
    firstMessage: (t) => `${incidentMessage(ctx, t)}\n\n${threadMessage(thread)}`,
    untrusted: thread.map((m) => m.text),
    // The last allowed call may only answer in text.
    lastCall: { toolChoice: { type: 'none' } },
    corrections: { textOnly: 'Answer the operator in plain text.', refused: CORRECTION_INVALID_REVISION },
    textEnds: true,
    refusalEnds: false,
    finish,
    crashed,
  };
}
