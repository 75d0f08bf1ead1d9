/** Test services (CONTRACT.md "Test services"). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The migrated template of this test run (set by global-setup, inherited by the workers). */
export function templateDb(): string {
  const t = process.env.SRE_TEST_TEMPLATE;
  if (!t) throw new Error('SRE_TEST_TEMPLATE is unset: run the tests through vitest (test/global-setup.ts)');
  return t;
}

export function databaseUrl(name: string): string {
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}
