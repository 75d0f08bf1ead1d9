import type { KnownBlock } from '@slack/types';
import type { ProposalView } from '../../domain/proposal-view.js';
import { LIMITS, safe, truncate } from './escape.js';
import type { SlackMessage } from './message.js';

const MAX_SECTIONS = 4;

/** Splits escaped text into section-sized pieces at line breaks where possible. */
export function chunk(text: string, size: number, max: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > 0 && out.length < max) {
    if (rest.length <= size) {
      out.push(rest);
      rest = '';
      break;
    }
    let at = rest.lastIndexOf('\n', size);
    if (at < size / 2) at = size;
    // Never split inside an entity such as `&lt;`.
    const amp = rest.lastIndexOf('&', at);
    if (amp > at - 5 && amp >= 0 && !rest.slice(amp, at).includes(';')) at = amp;
    out.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n/, '');
  }
  if (rest.length > 0 && out.length > 0) out[out.length - 1] = truncate(out[out.length - 1]! + rest, size);
  return out;
}

/** The reasoner's explanation, posted in the thread before the card. Model text is untrusted. */
export function buildReasoning(p: Pick<ProposalView, 'id' | 'reasoning' | 'reasoner' | 'fallback_reason' | 'route'>): SlackMessage {
  const who = p.reasoner === 'claude' ? 'Claude' : 'the playbook';
  const head = `:brain: *Reasoning* (${safe(who, 40)})${p.route === 'auto' ? ' — auto-executed, explanation below' : ''}`;
  const pieces = chunk(safe(p.reasoning || '(no reasoning given)', MAX_SECTIONS * LIMITS.sectionText), LIMITS.sectionText, MAX_SECTIONS);
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: head } }];
  for (const piece of pieces) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: piece } });
  if (p.fallback_reason) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Fallback to the playbook: ${safe(p.fallback_reason, 500)}` }] });
  }
  return { text: safe(`Reasoning: ${p.reasoning}`, LIMITS.fallbackText), blocks };
}
