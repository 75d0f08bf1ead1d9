import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { connectPostgres } from '../src/db/client.js';
import { TEST_DATABASE_URL, databaseUrl } from './support/env.js';

/**
 * Migrates a template database once per run; each test clones it (CREATE DATABASE … TEMPLATE),
 * which is fast. Names carry a run id so concurrent runs never touch each other's databases.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const run = randomBytes(4).toString('hex');
  const template = `sre_tpl_${run}`;
  process.env.SRE_TEST_TEMPLATE = template;
  process.env.SRE_TEST_RUN = run;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin`select 1`;
  } catch (e) {
    await admin.end();
    throw new Error(`The tests need PostgreSQL at ${TEST_DATABASE_URL} (set TEST_DATABASE_URL, or run .ci/run which starts it): ${(e as Error).message}`);
  }
  await admin.unsafe(`create database ${template}`);
  await admin.end();
  const db = connectPostgres(databaseUrl(template), { max: 1 });
  await db.migrate();
  await db.close();
  return async () => {
    const a = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
    const mine = await a<{ datname: string }[]>`select datname from pg_database where datname like ${`sre_%${run}%`}`;
    for (const { datname } of mine) await a.unsafe(`drop database if exists ${datname} with (force)`);
    await a.end();
  };
}
