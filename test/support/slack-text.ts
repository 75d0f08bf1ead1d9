/**
 * Block Kit as the plain text a person reads on a phone: dates by their fallback, mentions as
 * @U…, links by their label, emoji and bold marks dropped, entities decoded, buttons as [Label].
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

export function mrkdwnToText(s: string): string {
  return s
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<@([UW][A-Z0-9]+)>/g, '@$1')
    .replace(/<(?:https?|mailto):[^|>]*\|([^>]*)>/g, '$1')
    .replace(/:[a-z0-9_+-]+:/g, '')
    .replace(/\*([^*\n]+)\*/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/^ +/gm, '')
    .replace(/ {2,}/g, ' ');
}

function textOf(t: unknown): string {
  if (!isObj(t) || typeof t.text !== 'string') return '';
  return t.type === 'mrkdwn' ? mrkdwnToText(t.text) : t.text;
}

function blockText(b: Obj): string[] {
  switch (b.type) {
    case 'header':
      return [textOf(b.text)];
    case 'section': {
      const out = b.text ? [textOf(b.text)] : [];
      if (Array.isArray(b.fields)) out.push(b.fields.map(textOf).join('\n'));
      if (isObj(b.accessory) && b.accessory.type === 'button') out.push(`[${textOf(b.accessory.text)}]`);
      return out;
    }
    case 'context':
      return [Array.isArray(b.elements) ? b.elements.map(textOf).join(' · ') : ''];
    case 'actions':
      return [Array.isArray(b.elements) ? b.elements.map((e) => `[${isObj(e) ? textOf(e.text) : ''}]`).join(' ') : ''];
    case 'divider':
      return ['---'];
    default:
      return [];
  }
}

/** The message as read: one block after another, the fallback `text` when there are no blocks. */
export function slackText(msg: { text?: unknown; blocks?: unknown }): string {
  const blocks = Array.isArray(msg.blocks) ? msg.blocks.filter(isObj) : [];
  if (blocks.length === 0) return typeof msg.text === 'string' ? mrkdwnToText(msg.text) : '';
  return blocks
    .flatMap(blockText)
    .join('\n')
    .replace(/\n{2,}/g, '\n')
    .trim();
}

/** The first line a person sees (what a phone preview shows of the blocks). */
export const firstLine = (msg: { text?: unknown; blocks?: unknown }) => slackText(msg).split('\n')[0] ?? '';

/** What must never reach a reader: action ids, ISO instants, JSON, internal ids. */
export const LEAKS: readonly [string, RegExp][] = [
  ['snake_case action id', /\b(circuit_break_provider|reroute_model_group|raise_rate_limit|page_oncall|disable_guardrail_rule|bump_budget_cap|disable_sla_contract)\b/],
  ['ISO timestamp', /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/],
  ['JSON', /[{[]\s*"[a-z_]+"\s*:/],
  ['internal id', /\b(prp|inc|exe)_[a-z0-9]{6,}/],
  ['bare Slack user id', /\(slack [UW][A-Z0-9]+\)/],
];

export function leaksIn(text: string): string[] {
  return LEAKS.filter(([, re]) => re.test(text)).map(([name]) => name);
}
