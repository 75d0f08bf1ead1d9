/**
 * The one poller of the tests: calls `fn` until it returns something other than false, null or
 * undefined (or stops throwing), and returns that. On timeout it THROWS, naming `what` and the last
 * error or value, so a wait that never ends up true fails the test instead of passing it by.
 * Waits on the real clock: for peers the test clock does not drive (PostgreSQL, Redis, a child).
 */
export async function eventually<T>(
  fn: () => T | false | null | undefined | Promise<T | false | null | undefined>,
  opts: { what: string; timeoutMs?: number; everyMs?: number },
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const everyMs = opts.everyMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  for (;;) {
    try {
      const v = await fn();
      if (v !== false && v !== null && v !== undefined) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  const why = last instanceof Error ? last.message : JSON.stringify(last);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what} (last: ${why})`);
}
