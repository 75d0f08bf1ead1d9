/**
 * A clock for tests that score risk: it starts on a fixed Tuesday at 10:00 UTC (business hours, so
 * the time-of-day factor adds nothing) and advances with real time, so leases, backoff and
 * "older than" checks still see time pass. A test run at 19:00 or on a Sunday scores the same.
 */
export const WORKDAY_START = Date.UTC(2026, 10, 24, 10, 0, 0);

export function workdayClock(start = WORKDAY_START): () => Date {
  const origin = Date.now();
  return () => new Date(start + (Date.now() - origin));
}
