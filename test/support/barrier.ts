/** A promise resolved from outside: one side waits for `promise`, the other calls `resolve`. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A barrier for race tests: each contender calls `arrive()` at the contended point and waits there
 * until `parties` have arrived. `reached` counts the arrivals, so a test can assert that the race
 * it means to test did happen (and fail when the interleaving never came about).
 */
export function barrier(parties: number): { arrive(): Promise<void>; reached(): number; all: Promise<void> } {
  let n = 0;
  const done = deferred();
  return {
    arrive() {
      n++;
      if (n >= parties) done.resolve();
      return done.promise;
    },
    reached: () => n,
    all: done.promise,
  };
}
