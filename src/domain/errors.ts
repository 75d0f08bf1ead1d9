/** The few coded errors a user may see; everything else is logged and shown as an apology with a reference. */

/** stale: the re-check at decision time refused (409); paused: the kill switch is on (423); same_approver: the two-person rule (409); silenced: a silence covers the incident (409). */
export type ErrorCode = 'invalid' | 'not_found' | 'already_decided' | 'forbidden' | 'conflict' | 'unavailable' | 'refused' | 'stale' | 'paused' | 'same_approver' | 'silenced';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DomainError';
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;

/**
 * The one table from a domain error to what each surface answers: the HTTP status (JSON API,
 * console, email-link pages), a short title for pages and Slack replies, and the CLI's exit code
 * (3: someone else decided first or the same person twice; 1: everything else).
 */
export const ERROR_TABLE: Readonly<Record<ErrorCode, { http: number; title: string; exit: number }>> = {
  invalid: { http: 400, title: 'Not understood', exit: 1 },
  not_found: { http: 404, title: 'Not found', exit: 1 },
  already_decided: { http: 409, title: 'Already decided', exit: 3 },
  forbidden: { http: 403, title: 'Not allowed', exit: 1 },
  conflict: { http: 409, title: 'Not done', exit: 1 },
  refused: { http: 422, title: 'Refused', exit: 1 },
  unavailable: { http: 503, title: 'Unavailable', exit: 1 },
  stale: { http: 409, title: 'Not executed: the situation changed', exit: 1 },
  paused: { http: 423, title: 'Paused', exit: 1 },
  same_approver: { http: 409, title: 'Needs another person', exit: 3 },
  silenced: { http: 409, title: 'Silenced', exit: 1 },
};

export const httpStatusOf = (e: DomainError): number => ERROR_TABLE[e.code].http;
export const exitCodeOf = (e: DomainError): number => ERROR_TABLE[e.code].exit;
