import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { createLogger, wantsPretty } from '../../src/logger.js';

it('redacts tokens, secrets, authorization headers, cookies and email addresses', () => {
  let out = '';
  const destination = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  const log = createLogger({ level: 'info', pretty: false, destination });
  log.child({ incident_id: 'inc_1' }).info(
    {
      token: 'tok-SECRET-1',
      headers: { authorization: 'Bearer SECRET-2' },
      cookie: 'sre_session=SECRET-3',
      email: 'oncall@example.com',
      mail: { to: 'ops@example.com', recipient: 'sre@example.com' },
      config: { apiKey: 'SECRET-4', signingSecret: 'SECRET-5' },
    },
    'delivered',
  );
  for (const secret of ['SECRET-1', 'SECRET-2', 'SECRET-3', 'SECRET-4', 'SECRET-5', '@example.com']) expect(out).not.toContain(secret);
  expect(out).toContain('"incident_id":"inc_1"');
  expect(out).toContain('[redacted]');
});

it('pretty-prints for a person at a terminal, JSON lines when piped or in production, with the same redaction', () => {
  expect(wantsPretty({ isTTY: true }, 'development')).toBe(true);
  expect(wantsPretty({ isTTY: false }, 'development')).toBe(false);
  expect(wantsPretty({}, 'development')).toBe(false);
  expect(wantsPretty({ isTTY: true }, 'production')).toBe(false);
  let out = '';
  const destination = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  createLogger({ level: 'info', pretty: true, destination }).info({ port: 8080, token: 'tok-SECRET-6' }, 'SRE agent listening');
  expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: SRE agent listening\n/);
  expect(out).toContain('port: 8080');
  expect(out).not.toContain('SECRET-6');
  expect(out).not.toContain('{"level"');
});
