import { and, eq, isNull } from 'drizzle-orm';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { schema, type Db } from '../../db/client.js';
import { getIncident } from '../../proposals/index.js';
import type { SlackMessage } from '../../slack/blocks/message.js';

/**
 * The sending side of the Slack channel: posts, edits and the records that make each post happen
 * once. Knows nothing of what a message says; render.ts does that without a database.
 */

export type IncidentRow = typeof schema.incidents.$inferSelect;
export interface Thread {
  channel: string;
  ts: string;
}
/** A proposal's reasoning and card; an incident's closing summary (keyed by the incident's id). */
export type ThreadRole = 'reasoning' | 'card' | 'closing';

/** How many message bodies are remembered to skip edits that would change nothing. */
const REMEMBERED_EDITS = 5000;

export function createSlackSender(opts: { db: Db; client: WebClient; channel: string; logger: Logger }) {
  const { db, client, logger } = opts;
  const lastBody = new Map<string, string>();

  const post = (channel: string, msg: SlackMessage & { metadata?: { event_type: string; event_payload: Record<string, string> } }, threadTs?: string) =>
    client.chat.postMessage({ channel, text: msg.text, blocks: msg.blocks, unfurl_links: false, unfurl_media: false, ...(threadTs ? { thread_ts: threadTs } : {}), ...(msg.metadata ? { metadata: msg.metadata } : {}) });

  const remember = (at: Thread, msg: SlackMessage) => {
    const key = `${at.channel}:${at.ts}`;
    lastBody.delete(key);
    lastBody.set(key, JSON.stringify(msg));
    if (lastBody.size > REMEMBERED_EDITS) lastBody.delete(lastBody.keys().next().value!);
  };

  /** chat.update, unless this process last sent exactly this body to that message. */
  async function edit(at: Thread, msg: SlackMessage): Promise<boolean> {
    if (lastBody.get(`${at.channel}:${at.ts}`) === JSON.stringify(msg)) return false;
    await client.chat.update({ channel: at.channel, ts: at.ts, text: msg.text, blocks: msg.blocks });
    remember(at, msg);
    return true;
  }

  /** The incident's root message, posted once: the conditional UPDATE decides whose post stays. */
  async function ensureParent(incidentId: string, first: (i: IncidentRow) => Promise<SlackMessage>): Promise<{ thread: Thread; posted: boolean; incident: IncidentRow } | undefined> {
    const inc = await getIncident(db, incidentId);
    if (!inc) return undefined;
    if (inc.slackChannel && inc.slackTs) return { thread: { channel: inc.slackChannel, ts: inc.slackTs }, posted: false, incident: inc };
    const msg = await first(inc);
    const r = await post(opts.channel, msg);
    const thread = { channel: r.channel ?? opts.channel, ts: r.ts! };
    const won = await db
      .update(schema.incidents)
      .set({ slackChannel: thread.channel, slackTs: thread.ts })
      .where(and(eq(schema.incidents.id, incidentId), isNull(schema.incidents.slackTs)))
      .returning({ id: schema.incidents.id });
    if (won.length > 0) {
      remember(thread, msg);
      return { thread, posted: true, incident: inc };
    }
    await client.chat.delete({ channel: thread.channel, ts: thread.ts }).catch((e: unknown) => logger.warn({ err: e, incident_id: incidentId }, 'could not remove a duplicate parent'));
    const again = await getIncident(db, incidentId);
    return again?.slackChannel && again.slackTs ? { thread: { channel: again.slackChannel, ts: again.slackTs }, posted: false, incident: again } : undefined;
  }

  /** The message posted for `key` (a proposal's id, or an incident's for its closing summary) in that role. */
  async function remembered(key: string, role: ThreadRole): Promise<Thread | undefined> {
    const [m] = await db
      .select({ channel: schema.slackMessages.channel, ts: schema.slackMessages.ts })
      .from(schema.slackMessages)
      .where(and(eq(schema.slackMessages.proposalId, key), eq(schema.slackMessages.role, role)))
      .limit(1);
    return m;
  }

  /**
   * Posts a thread message once per key and role; a retry after success finds the record, and of
   * two replicas racing past the lease the one whose record lands keeps its post, the other deletes its own.
   */
  async function postOnce(key: string, role: ThreadRole, thread: Thread, msg: SlackMessage & { metadata?: { event_type: string; event_payload: Record<string, string> } }): Promise<{ ts: string; posted: boolean }> {
    const had = await remembered(key, role);
    if (had) return { ts: had.ts, posted: false };
    const r = await post(thread.channel, msg, thread.ts);
    const ts = r.ts!;
    const ins = await db.insert(schema.slackMessages).values({ proposalId: key, role, channel: thread.channel, ts }).onConflictDoNothing().returning({ ts: schema.slackMessages.ts });
    if (ins.length === 0) {
      await client.chat.delete({ channel: thread.channel, ts }).catch(() => {});
      return { ts: (await remembered(key, role))?.ts ?? ts, posted: false };
    }
    remember({ channel: thread.channel, ts }, msg);
    return { ts, posted: true };
  }

  /**
   * postOnce for a message that must never appear twice even when Slack's answer is lost: the post
   * carries its key as metadata, and before posting the thread is read for it.
   */
  async function postOnceChecked(key: string, role: ThreadRole, thread: Thread, msg: SlackMessage): Promise<{ ts: string; posted: boolean }> {
    const had = await remembered(key, role);
    if (had) return { ts: had.ts, posted: false };
    const found = await findInThread(client, logger, thread, key, role);
    if (found) {
      await db.insert(schema.slackMessages).values({ proposalId: key, role, channel: thread.channel, ts: found }).onConflictDoNothing();
      return { ts: (await remembered(key, role))?.ts ?? found, posted: false };
    }
    return postOnce(key, role, thread, { ...msg, metadata: { event_type: `sre_${role}`, event_payload: { key } } });
  }

  return { post, edit, ensureParent, remembered, postOnce, postOnceChecked };
}

/**
 * The message of `key` and `role` already in the thread, found by the metadata it was posted with:
 * a post whose answer was lost (a timeout after Slack took it, a crash before the record) is not
 * posted again. A look-up that fails says nothing was found.
 */
async function findInThread(client: WebClient, logger: Logger, thread: Thread, key: string, role: ThreadRole): Promise<string | undefined> {
  try {
    const r = await client.conversations.replies({ channel: thread.channel, ts: thread.ts, limit: 200, include_all_metadata: true });
    const hit = (r.messages ?? []).find((m) => m.metadata?.event_type === `sre_${role}` && (m.metadata.event_payload as { key?: unknown } | undefined)?.key === key);
    return hit?.ts;
  } catch (e) {
    logger.warn({ err: (e as Error).message, key, role }, 'could not read the thread before posting; posting');
    return undefined;
  }
}

export type SlackSender = ReturnType<typeof createSlackSender>;
