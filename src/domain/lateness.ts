/** From this long after an incident opened without a proposal, the card and the console say so. */
export const REASONING_LATE_AFTER_MS = 15_000;
/** Then how often the card says it again while reasoning lasts. */
export const REASONING_LATE_EVERY_MS = 30_000;

export interface LatenessInput {
  status: string;
  /** When the incident opened (ISO text or a Date). */
  openedAt: Date | string;
  /** Whether the incident has its first proposal already. */
  hasProposal: boolean;
}

export interface Lateness {
  waitedMs: number;
  /** At or past REASONING_LATE_AFTER_MS: worth telling people. */
  late: boolean;
  /** "reasoning, 40 s so far" */
  text: string;
}

/** "40 s", "2 min 5 s": how long reasoning has taken, coarse enough to read at a glance. */
export function formatWait(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * An open incident still waiting for its first proposal (the model is reasoning, or the incident
 * waits for a reasoning slot): how long so far. Undefined once proposed or closed.
 */
export function reasoningLateness(incident: LatenessInput, now: Date, lateAfterMs = REASONING_LATE_AFTER_MS): Lateness | undefined {
  if (incident.status !== 'open' || incident.hasProposal) return undefined;
  const opened = typeof incident.openedAt === 'string' ? Date.parse(incident.openedAt) : incident.openedAt.getTime();
  if (Number.isNaN(opened)) return undefined;
  const waitedMs = Math.max(0, now.getTime() - opened);
  return { waitedMs, late: waitedMs >= lateAfterMs, text: `reasoning, ${formatWait(waitedMs)} so far` };
}
