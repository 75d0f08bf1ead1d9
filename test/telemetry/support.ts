import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';
import type { ReceivedSpan } from './receiver.js';

/** The agent's own logger (src/logger.ts, with its trace mixin), writing JSON lines the test reads back. */
export function agentLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      raw.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ level: 'info', pretty: false, destination }), lines: () => raw.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** The one span of this name (failing, naming what there is, when there is none or several). */
export function one(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`expected one span "${name}", found ${found.length} among: ${[...new Set(spans.map((s) => s.name))].join(', ')}`);
  return found[0]!;
}

export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
