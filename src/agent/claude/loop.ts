import type { ToolChoice } from '@anthropic-ai/sdk/resources/messages';
import type { GatewayReads } from '../../actions/gateway.js';
import type { IncidentContext } from '../reasoner.js';
import type { FallbackCause } from './fallback.js';
import { exhausted, note, startRun, type ReasonerEnv, type Run, type RunMode } from './run.js';
import { step, textOf, toolUsesOf } from './step.js';
import type { IncidentTargets } from './targets.js';
import { handleTools, type AcceptedProposal } from './tool-turn.js';

/** How a run ended, before the mode makes its answer of it. */
export type End =
  | { kind: 'exhausted'; why: string }
  | { kind: 'failed'; why: string; cause: FallbackCause }
  | { kind: 'reply'; text: string }
  | { kind: 'no_answer' }
  | { kind: 'accepted'; proposal: AcceptedProposal; text: string }
  | { kind: 'refused'; refused: string[] };

/** What a mode (propose, converse) changes in the one reasoning loop. */
export interface Mode<R> {
  name: RunMode;
  firstMessage: (t: IncidentTargets) => string;
  /** Untrusted text beyond the incident's own, scanned for injection signals. */
  untrusted: readonly string[];
  /** The last allowed call: its tool choice, and a note that says so (after the first call). */
  lastCall: { toolChoice: ToolChoice; note?: string };
  /** Corrective notes after a text-only answer and after a refused proposal. */
  corrections: { textOnly: string; refused: string };
  /** A text answer without a tool call ends the run (a reply) rather than asking again. */
  textEnds: boolean;
  /** A `refusal` stop reason ends the run as a failure. */
  refusalEnds: boolean;
  /** The mode's answer for how the run ended. */
  finish: (run: Run, end: End) => Promise<R>;
  /** The answer when something threw (`run` is undefined if it never started; `aborted`: at the deadline). */
  crashed: (run: Run | undefined, err: unknown, aborted: boolean) => Promise<R>;
}

const AUTO: ToolChoice = { type: 'auto' };

/** The second correction in a run ends it: one corrective turn, then whatever `end` says. */
function correct(run: Run, text: string, end: End): End | undefined {
  run.corrections++;
  if (run.corrections > 1) return end;
  note(run, text);
  return undefined;
}

async function loop<R>(env: ReasonerEnv, mode: Mode<R>, run: Run, ctx: IncidentContext, gateway: GatewayReads): Promise<End> {
  for (;;) {
    const over = exhausted(env, run);
    if (over) return { kind: 'exhausted', why: over };
    const final = run.calls.length === env.limits.maxModelCalls - 1;
    if (final && run.calls.length > 0 && mode.lastCall.note) note(run, mode.lastCall.note);
    const out = await step(env, run, final ? mode.lastCall.toolChoice : AUTO);
    if (!out.ok) return { kind: 'failed', why: out.reason, cause: out.cause };
    const m = out.message;
    if (mode.refusalEnds && m.stop_reason === 'refusal') return { kind: 'failed', why: 'the model refused', cause: 'refusal' };
    const text = textOf(m);
    if (text) run.lastText = text;
    const uses = toolUsesOf(m);
    if (uses.length === 0) {
      if (text && mode.textEnds) return { kind: 'reply', text };
      const end = correct(run, mode.corrections.textOnly, { kind: 'no_answer' });
      if (end) return end;
      continue;
    }
    const turn = await handleTools(env, run, uses, ctx, gateway);
    if (turn.accepted) return { kind: 'accepted', proposal: turn.accepted, text };
    if (turn.refused.length > 0) {
      const end = correct(run, mode.corrections.refused, { kind: 'refused', refused: turn.refused });
      if (end) return end;
    }
  }
}

/** One run of the reasoning loop in a mode, within a deadline; never throws past the mode's fallback. */
export async function reason<R>(env: ReasonerEnv, mode: Mode<R>, ctx: IncidentContext, gateway: GatewayReads, deadline: number, signal: AbortSignal): Promise<R> {
  let run: Run | undefined;
  try {
    run = await startRun(env, ctx, gateway, { mode: mode.name, firstMessage: mode.firstMessage, untrusted: mode.untrusted, deadline, signal });
    return await mode.finish(run, await loop(env, mode, run, ctx, gateway));
  } catch (err) {
    return mode.crashed(run, err, signal.aborted);
  }
}
