import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';

export type ApproverVerdict = { ok: true } | { ok: false; reason: string };

export interface ApproverCheck {
  /** May this Slack user of this workspace approve, reject or revert? Fails closed. */
  check(user: { userId: string; teamId: string | undefined }): Promise<ApproverVerdict>;
  /** A user group's members (cached like the check's); rejects when the look-up fails. */
  members(group: string): Promise<ReadonlySet<string>>;
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
