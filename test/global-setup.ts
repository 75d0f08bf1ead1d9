import postgres from 'postgres';
import { connectPostgres } from '../src/db/client.js';
import { TEMPLATE_DB, TEST_DATABASE_URL, databaseUrl } from './support/env.js';

/** Migrates a template database once; each test clones it (CREATE DATABASE … TEMPLATE), which is fast. */
export default async function setup(): Promise<() => Promise<void>> {
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin`select 1`;
  } catch (e) {
    await admin.end();
    throw new Error(`The tests need PostgreSQL at ${TEST_DATABASE_URL} (set TEST_DATABASE_URL, or run .ci/run which starts it): ${(e as Error).message}`);
  }
  await admin.unsafe(`drop database if exists ${TEMPLATE_DB} with (force)`);
  await admin.unsafe(`create database ${TEMPLATE_DB}`);
  const db = connectPostgres(databaseUrl(TEMPLATE_DB), { max: 1 });
  await db.migrate();
  await db.close();
  // Leftovers of an earlier interrupted run.
  const stale = await admin<{ datname: string }[]>`select datname from pg_database where datname like 'sre_t_%'`;
  for (const { datname } of stale) await admin.unsafe(`drop database if exists ${datname} with (force)`);
  await admin.end();
  return async () => {
    const a = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
    const left = await a<{ datname: string }[]>`select datname from pg_database where datname like 'sre_t_%'`;
    for (const { datname } of left) await a.unsafe(`drop database if exists ${datname} with (force)`);
    await a.end();
  };
}
