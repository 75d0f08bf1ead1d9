import { ACTION_IDS, type ActionId } from './actions.js';
import type { Actor } from './proposal.js';

/**
 * Who may approve what (SRE_APPROVER_RULES). Format: `action:principal|principal;action:…`.
 * A principal is a Slack user id (U…, W…), a Slack user-group id (S…), or any other name: an
 * operator of the JSON API, console or CLI (SRE_API_TOKENS name) or an email recipient address.
 * An action with a rule may be approved (and reverted) only by its principals; rejecting stays
 * open to every approver, because stopping an action is always safe. Actions without a rule keep
 * the channel's own check (SRE_APPROVERS, operator tokens, mailed recipients).
 */

export type Principal = { kind: 'slack_user'; id: string } | { kind: 'slack_group'; id: string } | { kind: 'name'; name: string };

export type ApproverRules = Readonly<Partial<Record<ActionId, readonly Principal[]>>>;

const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;
const SLACK_GROUP = /^S[A-Z0-9]{2,}$/;
const NAME = /^[A-Za-z0-9._@+-]{1,254}$/;

export function parsePrincipal(text: string): Principal | undefined {
  if (SLACK_USER.test(text)) return { kind: 'slack_user', id: text };
  if (SLACK_GROUP.test(text)) return { kind: 'slack_group', id: text };
  if (NAME.test(text)) return { kind: 'name', name: text };
  return undefined;
}

/** Parses the variable; every problem is named (the process refuses to start on any of them). */
export function parseApproverRules(text: string | undefined): { ok: true; rules: ApproverRules } | { ok: false; problems: string[] } {
  const rules: Partial<Record<ActionId, Principal[]>> = {};
  const problems: string[] = [];
  const entries = (text ?? '').split(';').map((s) => s.trim()).filter((s) => s.length > 0);
  entries.forEach((entry, n) => {
    const where = `rule ${n + 1} ("${entry.slice(0, 80)}")`;
    const i = entry.indexOf(':');
    if (i <= 0) return void problems.push(`${where}: expected action:principal|principal`);
    const action = entry.slice(0, i).trim();
    if (!(ACTION_IDS as readonly string[]).includes(action)) return void problems.push(`${where}: unknown action "${action}" (one of ${ACTION_IDS.join(', ')})`);
    if (rules[action as ActionId]) return void problems.push(`${where}: ${action} has a rule already; list every principal in one rule`);
    const names = entry.slice(i + 1).split('|').map((s) => s.trim());
    if (names.every((s) => s === '')) return void problems.push(`${where}: no principal for ${action}`);
    const list: Principal[] = [];
    for (const name of names) {
      if (name === '') {
        problems.push(`${where}: an empty principal (a stray "|")`);
        continue;
      }
      const p = parsePrincipal(name);
      if (!p) problems.push(`${where}: "${name.slice(0, 80)}" is neither a Slack id (U…, W…, S…) nor an operator name or email address`);
      else list.push(p);
    }
    rules[action as ActionId] = list;
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rules };
}

export function ruleFor(rules: ApproverRules | undefined, action: string): readonly Principal[] | undefined {
  return rules?.[action as ActionId];
}

/** The rule's Slack groups, for the adapter that can look their members up. */
export function groupsOf(principals: readonly Principal[]): string[] {
  return principals.flatMap((p) => (p.kind === 'slack_group' ? [p.id] : []));
}

/**
 * Whether an actor is named directly by a rule (no look-up needed). Slack users match by id;
 * operators by name; email recipients by address, case-insensitively.
 */
export function namedBy(principals: readonly Principal[], actor: Actor): boolean {
  return principals.some((p) => {
    if (actor.type === 'slack') return p.kind === 'slack_user' && p.id === actor.userId;
    if (p.kind !== 'name') return false;
    if (actor.type === 'user') return p.name === actor.name;
    if (actor.type === 'email') return p.name.toLowerCase() === actor.recipient.toLowerCase();
    return false;
  });
}

export function describePrincipals(principals: readonly Principal[]): string {
  return principals.map((p) => (p.kind === 'name' ? p.name : p.id)).join(', ');
}
