import pino, { type Logger } from 'pino';

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

export function createLogger(opts: { level: string; pretty: boolean; destination?: pino.DestinationStream }): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'sre-agent' },
    ...(opts.pretty && !opts.destination ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } } : {}),
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
