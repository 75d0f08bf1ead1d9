import { matcherText, silenceLine, type SilenceView } from '../../domain/silences.js';
import { safe } from './escape.js';
import type { SlackMessage } from './message.js';

const when = (s: SilenceView, now: Date, timeZone: string): string => {
  if (s.schedule) {
    const next = s.next ? silenceLine({ until: new Date(s.next.ends_at), by: s.created_by, reason: s.reason }, now, timeZone) : '';
    return `every ${s.schedule} (${timeZone})${s.active ? ` — now, ${next}` : s.next ? ` — next ${s.next.starts_at}` : ''}`;
  }
  return s.active && s.ends_at ? silenceLine({ until: new Date(s.ends_at), by: s.created_by, reason: s.reason }, now, timeZone) : `from ${s.starts_at} until ${s.ends_at ?? '?'} by ${s.created_by}: ${s.reason}`;
};

const line = (s: SilenceView, now: Date, timeZone: string) => `\`${safe(s.id, 60)}\` ${safe(matcherText(s.matchers), 400)} — ${safe(when(s, now, timeZone), 600)}`;

/** `/sre silence …` answered: what was made, and how to end it. */
export function buildSilenceMade(s: SilenceView, now: Date, timeZone: string): SlackMessage {
  const text = `:mute: Silence ${line(s, now, timeZone)}\nMatching incidents propose nothing, page nobody and execute nothing until it ends. End it early with \`/sre unsilence ${safe(s.id, 60)}\`.`;
  return { text: `Silence ${s.id} made`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

export function buildSilenceEnded(s: SilenceView): SlackMessage {
  const text = `:loud_sound: Silence \`${safe(s.id, 60)}\` (${safe(matcherText(s.matchers), 400)}) ended by ${safe(s.ended_by ?? 'someone', 200)}; incidents it alone held proceed.`;
  return { text: `Silence ${s.id} ended`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** `/sre silences`: those not over yet and the configured windows. */
export function buildSilenceList(list: readonly SilenceView[], now: Date, timeZone: string): SlackMessage {
  if (list.length === 0) return { text: 'No silences', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'No silences and no maintenance windows.' } }] };
  const lines = list.slice(0, 40).map((s) => `• ${line(s, now, timeZone)}`);
  if (list.length > 40) lines.push(`… and ${list.length - 40} more (console: /sre/silences)`);
  return { text: `${list.length} silence${list.length === 1 ? '' : 's'}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 2900) } }] };
}
