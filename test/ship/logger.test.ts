import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';

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
