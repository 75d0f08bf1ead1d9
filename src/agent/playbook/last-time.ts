import { pastIncidentLine } from '../../domain/past-incidents.js';
import { FAILURE_CLASSES, shortLabel, type FailureClass } from '../evidence.js';
import type { IncidentContext } from '../reasoner.js';
import { plain } from './text.js';

/**
 * What happened the last times this subject failed this way, as one sentence of the reasoning
 * ("Last time …: circuit-break openai for 120s, approved by alice in Slack, verified."). Names and
 * reasons are operators' text: each line is made plain and bounded.
 */
export function lastTimeSentence(ctx: Pick<IncidentContext, 'pastIncidents'>): string | undefined {
  const past = ctx.pastIncidents ?? [];
  const [last, ...before] = past;
  if (!last) return undefined;
  const cls = (FAILURE_CLASSES as readonly string[]).includes(last.failureClass) ? (last.failureClass as FailureClass) : 'unknown';
  const failure = cls === 'unknown' ? '' : ` with the same failure (${shortLabel(cls)})`;
  const line = (p: (typeof past)[number]) => plain(pastIncidentLine(p), 240);
  const earlier = before.length > 0 ? ` Before that: ${before.map(line).join('; ')}.` : '';
  const warn = past.some((p) => p.verificationFailed) ? ' An action that failed its verification here weighs against repeating it.' : '';
  return `Last time on this subject${failure}: ${line(last)}.${earlier}${warn}`;
}
