import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { connectPglite, connectPostgres, type Database } from '../../src/db/client.js';
import { TEST_DATABASE_URL, databaseUrl, templateDb } from './env.js';

export interface TestDatabase extends Database {
  name: string;
  url: string;
  /** Drops the database (PostgreSQL) or closes it (PGlite). */
  dispose(): Promise<void>;
}

/** A fresh, migrated PostgreSQL database cloned from the template. */
export async function freshPostgres(): Promise<TestDatabase> {
  const name = `sre_t_${process.env.SRE_TEST_RUN ?? 'x'}_${randomBytes(5).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${templateDb()}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const d = connectPostgres(url);
  return {
    ...d,
    name,
    url,
    async dispose() {
      await d.close();
      const a = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** A fresh, migrated in-memory PGlite: the embedded default. */
export async function freshPglite(): Promise<TestDatabase> {
  const d = await connectPglite();
  await d.migrate();
  return { ...d, name: 'pglite', url: '', dispose: () => d.close() };
}
