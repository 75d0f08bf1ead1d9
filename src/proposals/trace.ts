import { eq } from 'drizzle-orm';
import { schema, type Executor } from '../db/client.js';
import { activeSubjects, activeTraceId, currentTraceparent, isTracing, linkTo, traceIdOf, withSpan, type Attributes, type Span } from '../telemetry/index.js';
import type { ServiceDeps } from './types.js';

const { incidents, proposals } = schema;

/**
 * Trace contexts this process has read or written, by `incident:<id>` and `proposal:<id>`: an
 * incident's traceparent never changes once set, so a hit is always right and saves the look-up
 * on the decision path. Bounded: the oldest entries go first.
 */
const known = new Map<string, string>();
const KNOWN_MAX = 10_000;

function remember(subject: string, traceparent: string): void {
  if (known.size >= KNOWN_MAX) known.delete(known.keys().next().value as string);
  known.set(subject, traceparent);
}

/** A new proposal of a traced incident shares its trace context (propose calls this once the proposal is recorded). */
export function rememberProposalTrace(proposalId: string, incidentId: string): void {
  const tp = known.get(`incident:${incidentId}`);
  if (tp) remember(`proposal:${proposalId}`, tp);
}

/** The incident's stored traceparent (incidents.trace_parent), by the incident or one of its proposals. */
export async function incidentTraceparent(db: Executor, ref: { incidentId?: string | null; proposalId?: string | null }): Promise<string | undefined> {
  if (ref.incidentId) {
    const [row] = await db.select({ tp: incidents.traceParent }).from(incidents).where(eq(incidents.id, ref.incidentId));
    return row?.tp ?? undefined;
  }
  if (!ref.proposalId) return undefined;
  const [row] = await db.select({ tp: incidents.traceParent }).from(proposals).innerJoin(incidents, eq(incidents.id, proposals.incidentId)).where(eq(proposals.id, ref.proposalId));
  return row?.tp ?? undefined;
}

/**
 * Runs a step of an incident in a span of the incident's trace, whoever started it: a decision
 * from Slack, the console or the API, a revert by a person, a verb called from a job. Already in
 * the incident's trace (a job written in it), the span is a child of the active one; otherwise it
 * is a child of the incident's stored context, linked to what started it (the request's span).
 * With tracing off, nothing is read and the span is the API's no-op.
 */
export async function inIncidentTrace<T>(
  deps: Pick<ServiceDeps, 'db' | 'tx'>,
  ref: { incidentId?: string | null; proposalId?: string | null },
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if (!isTracing()) return withSpan(name, { attributes }, fn);
  const subjects = [...(ref.incidentId ? [`incident:${ref.incidentId}`] : []), ...(ref.proposalId ? [`proposal:${ref.proposalId}`] : [])];
  // Inside a step of the same incident or proposal (an approval executing at once): already in its trace.
  const around = activeSubjects();
  if (subjects.some((s) => around.includes(s))) return withSpan(name, { attributes, subjects }, fn);
  const stored = subjects.map((s) => known.get(s)).find(Boolean) ?? (await incidentTraceparent(deps.tx ?? deps.db, ref));
  if (stored) for (const s of subjects) remember(s, stored);
  const active = activeTraceId();
  if (!stored || traceIdOf(stored) === active) return withSpan(name, { attributes, subjects }, fn);
  return withSpan(name, { attributes, subjects, parent: stored, links: linkTo(currentTraceparent()) }, fn);
}
