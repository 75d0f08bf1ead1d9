import { createServer, type Server } from 'node:http';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { startTracing, type Tracing } from '../src/telemetry/index.js';

/**
 * A local OTLP/HTTP collector in the bench process: it reads each export request and answers 200,
 * counting requests and bytes (decoding is the collector's work, not the agent's). The traced
 * figures (`*_traced_*`) run the same part with the agent exporting here.
 */
export interface BenchCollector {
  url: string;
  /** The environment that turns tracing on, exporting here (http/protobuf, the SDK's default batch settings). */
  env: Record<string, string>;
  requests(): number;
  bytes(): number;
  close(): Promise<void>;
}

export async function startCollector(): Promise<BenchCollector> {
  let requests = 0;
  let bytes = 0;
  const server: Server = createServer((req, res) => {
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const a = server.address();
  const url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  return {
    url,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_SERVICE_NAME: 'sre-agent-bench' },
    requests: () => requests,
    bytes: () => bytes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Tracing as the agent starts it from `env` (for parts that call services without an agent); `dropped` counts what never reached the collector. */
export function startBenchTracing(env: Record<string, string>): { tracing: Tracing; dropped: () => number } {
  let dropped = 0;
  const tracing = startTracing(loadConfig(env).telemetry, { clock: systemClock, onDropped: (n) => (dropped += n) });
  return { tracing, dropped: () => dropped };
}
