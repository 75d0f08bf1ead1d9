/**
 * A clock for tests that score risk: it starts on a fixed Tuesday at 10:00 UTC (business hours, so
 * the time-of-day factor adds nothing) and advances with real time, so leases, backoff and
 * "older than" checks still see time pass. A test run at 19:00 or on a Sunday scores the same.
 * Every clock in one test file shares one origin, as replicas share wall time: an agent started
 * later is not behind one started earlier.
 */
export const WORKDAY_START = Date.UTC(2026, 10, 24, 10, 0, 0);
const ORIGIN = Date.now();

export function workdayClock(start = WORKDAY_START): () => Date {
  return () => new Date(start + (Date.now() - ORIGIN));
}
