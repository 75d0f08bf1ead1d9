import type { Actor } from './proposal.js';

/**
 * Who is who across channels (SRE_PEOPLE): `alice=U0ALICE|alice@example.com|alice;bob=…`. Each
 * person names their identities: a Slack user id (U…, W…), an email address (has an @; it is also
 * accepted as an operator name), or an operator name of the JSON API, console and CLI
 * (SRE_API_TOKENS). The two-person rule counts people, not identities: alice over the API and
 * alice through her mailed link are one person.
 */

export interface People {
  /** Identity key (approverKey's form: `slack:U…`, `operator:name`, `email:address`) → person. */
  readonly byIdentity: ReadonlyMap<string, string>;
  readonly names: readonly string[];
}

const PERSON = /^[A-Za-z0-9._-]{1,64}$/;
const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;
const OPERATOR = /^[A-Za-z0-9._@+-]{1,254}$/;

/** The keys an identity written in SRE_PEOPLE stands for (an address is also an operator name). */
function identityKeys(text: string): string[] | undefined {
  if (SLACK_USER.test(text)) return [`slack:${text}`];
  if (!OPERATOR.test(text)) return undefined;
  return text.includes('@') ? [`email:${text.toLowerCase()}`, `operator:${text}`] : [`operator:${text}`];
}

/** Parses the variable; every problem is named (the process refuses to start on any of them). Unset or empty: undefined. */
export function parsePeople(text: string | undefined): { ok: true; people: People | undefined } | { ok: false; problems: string[] } {
  const entries = (text ?? '').split(';').map((s) => s.trim()).filter((s) => s.length > 0);
  if (entries.length === 0) return { ok: true, people: undefined };
  const byIdentity = new Map<string, string>();
  const names: string[] = [];
  const problems: string[] = [];
  entries.forEach((entry, n) => {
    const where = `person ${n + 1} ("${entry.slice(0, 80)}")`;
    const i = entry.indexOf('=');
    if (i <= 0) return void problems.push(`${where}: expected name=identity|identity`);
    const name = entry.slice(0, i).trim();
    if (!PERSON.test(name)) return void problems.push(`${where}: "${name.slice(0, 64)}" is not a person's name (letters, digits, . _ -)`);
    if (names.includes(name)) return void problems.push(`${where}: ${name} is listed twice; list all their identities in one entry`);
    names.push(name);
    const ids = entry.slice(i + 1).split('|').map((s) => s.trim());
    if (ids.every((s) => s === '')) return void problems.push(`${where}: no identity for ${name}`);
    for (const id of ids) {
      if (id === '') {
        problems.push(`${where}: an empty identity (a stray "|")`);
        continue;
      }
      const keys = identityKeys(id);
      if (!keys) {
        problems.push(`${where}: "${id.slice(0, 80)}" is neither a Slack user id (U…, W…), an email address nor an operator name`);
        continue;
      }
      for (const k of keys) {
        const owner = byIdentity.get(k);
        if (owner && owner !== name) problems.push(`${where}: "${id.slice(0, 80)}" belongs to ${owner} already; an identity names one person`);
        else byIdentity.set(k, name);
      }
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, people: { byIdentity, names } };
}

/** The person an identity key (as stored on an approval) stands for; `person:NAME` keys name them directly. */
export function personOfKey(people: People | undefined, key: string): string | undefined {
  if (key.startsWith('person:')) return key.slice('person:'.length);
  return people?.byIdentity.get(key);
}

/**
 * The person behind an actor: by the channel's own identity, then (Slack) by the user's email
 * address as Slack reports it. Undefined: SRE_PEOPLE names nobody with these identities.
 */
export function personOf(people: People | undefined, actor: Actor, slackEmail?: string): string | undefined {
  if (!people) return undefined;
  switch (actor.type) {
    case 'slack':
      return people.byIdentity.get(`slack:${actor.userId}`) ?? (slackEmail ? people.byIdentity.get(`email:${slackEmail.toLowerCase()}`) : undefined);
    case 'user':
      return people.byIdentity.get(`operator:${actor.name}`);
    case 'email':
      return people.byIdentity.get(`email:${actor.recipient.toLowerCase()}`);
    case 'system':
      return undefined;
  }
}

/** The first log lines' warning when SRE_PEOPLE is unset. */
export const PEOPLE_UNSET_WARNING =
  'two-person rule: SRE_PEOPLE is unset, so one person\'s channels cannot be told apart (alice over the API, in Slack and through her mailed link counts as three approvers); set SRE_PEOPLE=alice=U0ALICE|alice@example.com|alice;…';
