import type { Clock } from '../../clock.js';
import { and, asc, eq, inArray, or } from 'drizzle-orm';
import { schema, type Db } from '../../db/client.js';
import { reasoningLateness } from '../../domain/lateness.js';
import type { ProposalView } from '../../domain/proposal-view.js';
import { actionInWords, person, reasonInWords } from '../../domain/words.js';
import { getIncident, getProposal, listProposals } from '../../proposals/index.js';
import { withoutTrailingSlashes } from '../../domain/text.js';
import { buildClosingSummary, decisive } from '../../slack/blocks/closing-summary.js';
import { silenceLine } from '../../domain/silences.js';
import { escapeMrkdwn, truncate } from '../../slack/blocks/escape.js';
import type { DeliveryOutcome, OutboxRow } from '../adapter.js';
import { renderCard, renderEscalation, renderReply, renderRoot, type RenderContext } from './render.js';
import type { IncidentRow, SlackSender, Thread } from './send.js';

/** What each outbox row kind does in Slack: read the state, render it (render.ts), send it (send.ts). */

export interface Delivery {
  send: SlackSender;
  reads: { db: Db; publicBaseUrl: string };
  clock: Clock;
  ctx: () => RenderContext;
}

export async function rootMessage(d: Delivery, i: IncidentRow) {
  const proposals = await listProposals(d.reads, { incidentId: i.id, limit: 20 });
  const reasoning = reasoningLateness({ status: i.status, openedAt: i.openedAt, hasProposal: proposals.length > 0 }, d.clock.now());
  const now = d.clock.now();
  // While a silence holds it: "silenced until 02:00 by alice: migration", in the operators' time zone.
  const held = i.status === 'open' ? i.silence : null;
  const silenced = held ? { silenced: silenceLine({ until: new Date(held.until), by: person(held.by, { mention: false }).text, reason: held.reason }, now, d.ctx().policy?.timeZone ?? 'UTC') } : {};
  const incident = { id: i.id, type: i.type, subject: i.subject, status: i.status, first_seen: i.firstSeen.toISOString(), last_seen: i.lastSeen.toISOString(), event_count: i.eventCount, latest: i.latest, ...silenced };
  return { message: renderRoot({ incident, proposals, reasoning }, d.ctx()), proposals };
}
const parentOf = (d: Delivery, incidentId: string) => d.send.ensureParent(incidentId, async (i) => (await rootMessage(d, i)).message);
/** Brings the root up to date; d.send.edit skips it when nothing a reader sees changed. */
async function refreshRoot(d: Delivery, i: IncidentRow, thread: Thread) {
  await d.send.edit(thread, (await rootMessage(d, i)).message);
}
const proposalOf = async (d: Delivery, row: OutboxRow) => (row.proposalId ? await getProposal(d.reads, row.proposalId, { past: true }) : undefined);

export async function proposalCreated(d: Delivery, row: OutboxRow): Promise<DeliveryOutcome> {
  const p = await proposalOf(d, row);
  if (!p) return { status: 'skipped', reason: 'proposal not found' };
  const parent = await parentOf(d, p.incident_id);
  if (!parent) return { status: 'skipped', reason: 'incident not found' };
  const card = await d.send.postOnce(p.id, 'card', parent.thread, renderCard(p, d.ctx()));
  // Already there (a retry, or a decision raced ahead): bring it up to date instead.
  if (!card.posted) await d.send.edit({ channel: parent.thread.channel, ts: card.ts }, renderCard(p, d.ctx()));
  if (!parent.posted) await refreshRoot(d, parent.incident, parent.thread);
  return { status: 'sent', result: { channel: parent.thread.channel, thread_ts: parent.thread.ts, card_ts: card.ts } };
}

export async function refreshCard(d: Delivery, row: OutboxRow): Promise<DeliveryOutcome> {
  const p = await proposalOf(d, row);
  if (!p) return { status: 'skipped', reason: 'proposal not found' };
  const parent = await parentOf(d, p.incident_id);
  if (!parent) return { status: 'skipped', reason: 'incident not found' };
  const msg = renderCard(p, d.ctx());
  const known = await d.send.remembered(p.id, 'card');
  let cardTs: string;
  if (known) {
    await d.send.edit(known, msg);
    cardTs = known.ts;
  } else {
    cardTs = (await d.send.postOnce(p.id, 'card', parent.thread, msg)).ts;
  }
  if (row.kind === 'proposal.escalated' && p.status === 'pending') await d.send.post(parent.thread.channel, renderEscalation(p, d.ctx(), row.payload), parent.thread.ts);
  await refreshRoot(d, parent.incident, parent.thread);
  return { status: 'sent', result: { channel: parent.thread.channel, card_ts: cardTs, status: p.status } };
}

/**
 * Incident rows: the root; on close every card of the incident loses its buttons and one closing
 * summary is posted in the thread. An incident that never had a thread gets none at its close.
 */
export async function summary(d: Delivery, row: OutboxRow): Promise<DeliveryOutcome> {
  if (!row.incidentId) return { status: 'skipped', reason: 'no incident' };
  if (row.kind === 'incident.closed') {
    const inc = await getIncident(d.reads.db, row.incidentId);
    if (!inc) return { status: 'skipped', reason: 'incident not found' };
    if (!inc.slackTs) return { status: 'skipped', reason: 'the incident has no Slack thread' };
  }
  const parent = await parentOf(d, row.incidentId);
  if (!parent) return { status: 'skipped', reason: 'incident not found' };
  if (parent.posted) return { status: 'sent', result: { channel: parent.thread.channel, ts: parent.thread.ts } };
  if (row.kind === 'incident.opened') return { status: 'skipped', reason: 'parent already posted' };
  const { message, proposals } = await rootMessage(d, parent.incident);
  await d.send.edit(parent.thread, message);
  if (row.kind !== 'incident.closed') return { status: 'sent', result: { channel: parent.thread.channel, ts: parent.thread.ts } };
  await closeCards(d, proposals);
  const closing = await d.send.postOnceChecked(parent.incident.id, 'closing', parent.thread, await closingMessage(d, parent.incident, proposals));
  return { status: 'sent', result: { channel: parent.thread.channel, ts: parent.thread.ts, closing_ts: closing.ts } };
}

/** The closing summary from the incident, its proposals and the audit trail's times; the link opens the console's report. */
async function closingMessage(d: Delivery, i: IncidentRow, proposals: readonly ProposalView[]) {
  const incident = { id: i.id, type: i.type, subject: i.subject, status: i.status, first_seen: i.firstSeen.toISOString(), last_seen: i.lastSeen.toISOString(), event_count: i.eventCount, latest: i.latest };
  const p = decisive(proposals);
  return buildClosingSummary({
    incident,
    proposals,
    silence: i.silence ?? null,
    durations: p ? await changeTimes(d.reads.db, i.id, p.id) : { to_execution_ms: null, to_verification_ms: null },
    reportUrl: `${withoutTrailingSlashes(d.reads.publicBaseUrl)}/sre/incidents/${encodeURIComponent(i.id)}/report`,
  });
}

/**
 * From detection to the change's execution and verification, on the audit trail's own clock like
 * the report's figures (the first of each row kind; a revert's execution row is not the change's).
 */
async function changeTimes(db: Db, incidentId: string, proposalId: string): Promise<{ to_execution_ms: number | null; to_verification_ms: number | null }> {
  const a = schema.sreActions;
  const rows = await db
    .select({ kind: a.kind, at: a.occurredAt, payload: a.payload })
    .from(a)
    .where(and(eq(a.incidentId, incidentId), or(eq(a.kind, 'incident.opened'), and(eq(a.proposalId, proposalId), inArray(a.kind, ['execution.succeeded', 'verification.passed'])))))
    .orderBy(asc(a.seq));
  const first = (kind: string) => rows.find((r) => r.kind === kind && (kind !== 'execution.succeeded' || (r.payload.operation ?? 'execute') === 'execute'))?.at.getTime();
  const [opened, executed, verified] = [first('incident.opened'), first('execution.succeeded'), first('verification.passed')];
  const since = (t: number | undefined) => (opened !== undefined && t !== undefined ? Math.max(0, t - opened) : null);
  return { to_execution_ms: since(executed), to_verification_ms: since(verified) };
}

async function closeCards(d: Delivery, proposals: readonly ProposalView[]) {
  for (const p of proposals) {
    const known = await d.send.remembered(p.id, 'card');
    if (known) await d.send.edit(known, renderCard(p, d.ctx()));
  }
}

export async function threadReply(d: Delivery, row: OutboxRow): Promise<DeliveryOutcome> {
  if (!row.incidentId) return { status: 'skipped', reason: 'no incident' };
  const text = typeof row.payload.text === 'string' ? row.payload.text : '';
  if (!text) return { status: 'skipped', reason: 'empty reply' };
  const parent = await parentOf(d, row.incidentId);
  if (!parent) return { status: 'skipped', reason: 'incident not found' };
  // Model text: escaped like everything else, and cut below Slack's 4,000-character advice.
  const live = await listProposals(d.reads, { incidentId: row.incidentId, limit: 20 });
  // A note about one proposal (the verifier's) names its action in words, not by id and target.
  const about = row.proposalId ? live.find((x) => x.id === row.proposalId) : undefined;
  const worded = about ? reasonInWords(text.split(`${about.action} on ${about.target}`).join(actionInWords(about.action, about.params))) : text;
  const r = await d.send.post(parent.thread.channel, renderReply(truncate(escapeMrkdwn(worded), 3900), live, d.ctx()), parent.thread.ts);
  return { status: 'sent', result: { channel: parent.thread.channel, ts: r.ts ?? null } };
}

