/** The few coded errors a user may see; everything else is logged and shown as an apology with a reference. */

/** stale: the re-check at decision time refused (409); paused: the kill switch is on (423); same_approver: the two-person rule (409). */
export type ErrorCode = 'invalid' | 'not_found' | 'already_decided' | 'forbidden' | 'conflict' | 'unavailable' | 'refused' | 'stale' | 'paused' | 'same_approver';

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
