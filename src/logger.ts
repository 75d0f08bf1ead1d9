import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { activeTraceIds } from './telemetry/index.js';

/** Keys whose values never reach a log line: tokens, secrets, keys, cookies, email addresses. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'cookie',
  '*.cookie',
  'secret',
  '*.secret',
  'signingSecret',
  '*.signingSecret',
  'routing_key',
  '*.routing_key',
  'email',
  '*.email',
  'recipient',
  '*.recipient',
  'to',
  '*.to',
];

/** Pretty lines for a person at a terminal; JSON lines for everything else, and always in production. */
export function wantsPretty(stream: { isTTY?: boolean }, env: string): boolean {
  return stream.isTTY === true && env !== 'production';
}

/**
 * fd: where the lines go when no destination is given (1, or 2 for command-line verbs whose stdout
 * is their output). Pretty lines are formatted in-process and written synchronously, so they keep
 * their order with what a verb prints.
 */
export function createLogger(opts: { level: string; pretty: boolean; destination?: pino.DestinationStream; fd?: 1 | 2; colorize?: boolean }): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'sre-agent' },
    // The active span's trace_id and span_id on every line written inside one (none while tracing is off).
    mixin: () => activeTraceIds() ?? {},
  };
  if (opts.pretty) {
    const destination = opts.destination ?? pino.destination({ fd: opts.fd ?? 1, sync: true });
    return pino(options, pretty({ colorize: opts.colorize ?? !opts.destination, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', sync: true, destination }));
  }
  return pino(options, opts.destination ?? pino.destination({ fd: opts.fd ?? 1, sync: true }));
}
