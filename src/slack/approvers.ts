import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';

export type ApproverVerdict = { ok: true } | { ok: false; reason: string };

export interface ApproverCheck {
  /** May this Slack user of this workspace approve, reject or revert? Fails closed. */
  check(user: { userId: string; teamId: string | undefined }): Promise<ApproverVerdict>;
  /** A user group's members (cached like the check's); rejects when the look-up fails. */
  members(group: string): Promise<ReadonlySet<string>>;
  /**
   * A user's email address as Slack has it (users.info, scope users:read.email), cached like the
   * groups; undefined when Slack shows none. Links the user to a person of SRE_PEOPLE.
   */
  email(userId: string): Promise<string | undefined>;
}

export interface ApproverCheckOptions {
  client: WebClient;
  /** SRE_APPROVERS: user ids (U…, W…) and user-group ids (S…). */
  approvers: readonly string[];
  /** The installed workspace (auth.test); a rejection means it is unknown, which refuses. */
  installedTeam: () => Promise<string>;
  logger: Logger;
  cacheMs?: number;
  now?: () => number;
}

const isGroup = (id: string) => id.startsWith('S');

/**
 * SRE_APPROVERS as a decision: listed users, or members of listed user groups (usergroups.users.list,
 * cached briefly so a removal takes effect within a minute), and only in the installed workspace.
 * A failed look-up refuses rather than guesses.
 */
export function createApproverCheck(opts: ApproverCheckOptions): ApproverCheck {
  const cacheMs = opts.cacheMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const users = new Set(opts.approvers.filter((a) => !isGroup(a)));
  const groups = opts.approvers.filter(isGroup);
  const cache = new Map<string, { at: number; members: Set<string> }>();
  const emails = new Map<string, { at: number; email: string | undefined }>();

  async function email(userId: string): Promise<string | undefined> {
    const hit = emails.get(userId);
    if (hit && now() - hit.at < cacheMs) return hit.email;
    const r = await opts.client.users.info({ user: userId });
    if (!r.ok || !r.user) throw new Error(`users.info ${userId}: ${r.error ?? 'no user'}`);
    const found = typeof r.user.profile?.email === 'string' && r.user.profile.email.includes('@') ? r.user.profile.email.toLowerCase() : undefined;
    // Bounded: one entry per user who ever approved, dropped when stale.
    if (emails.size >= 10_000) for (const [k, v] of emails) if (now() - v.at >= cacheMs) emails.delete(k);
    emails.set(userId, { at: now(), email: found });
    return found;
  }

  async function members(group: string): Promise<Set<string>> {
    const hit = cache.get(group);
    if (hit && now() - hit.at < cacheMs) return hit.members;
    const r = await opts.client.usergroups.users.list({ usergroup: group });
    if (!r.ok || !Array.isArray(r.users)) throw new Error(`usergroups.users.list ${group}: ${r.error ?? 'no users'}`);
    const m = new Set(r.users);
    cache.set(group, { at: now(), members: m });
    return m;
  }

  return {
    members,
    email,
    async check({ userId, teamId }) {
      let installed: string;
      try {
        installed = await opts.installedTeam();
      } catch {
        return { ok: false, reason: 'the installed workspace could not be verified' };
      }
      if (!teamId || teamId !== installed) return { ok: false, reason: `user of another workspace (${teamId ?? 'unknown'})` };
      if (opts.approvers.length === 0) return { ok: false, reason: 'no approvers are configured (SRE_APPROVERS is unset)' };
      if (users.has(userId)) return { ok: true };
      let failed = false;
      for (const g of groups) {
        try {
          if ((await members(g)).has(userId)) return { ok: true };
        } catch (e) {
          failed = true;
          opts.logger.warn({ err: e, usergroup: g }, 'approver group look-up failed');
        }
      }
      if (failed) return { ok: false, reason: 'the approver group look-up failed' };
      return { ok: false, reason: 'not an approver (SRE_APPROVERS)' };
    },
  };
}
