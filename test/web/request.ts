import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/logger.js';
import type { Reply } from '../support/http.js';

/** The tests' one HTTP client lives in test/support/http.ts. */
export { request, type Reply } from '../support/http.js';

/** The production logger (redaction on) writing JSON lines into memory. */
export function capturingLogger(): { logger: Logger; text: () => string } {
  let out = '';
  const destination = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  return { logger: createLogger({ level: 'info', pretty: false, destination }), text: () => out };
}

/** The `name=value` pairs a reply sets, as a Cookie header. */
export function cookies(r: Reply): string {
  return (r.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).filter((p) => !p.endsWith('=')).join('; ');
}

export function hiddenField(body: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(body)?.[1];
}
