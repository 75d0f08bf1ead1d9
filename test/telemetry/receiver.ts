import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import protobuf from 'protobufjs';

/**
 * A local OTLP/HTTP traces receiver (POST /v1/traces): decodes what the agent sends, in
 * http/json directly and in http/protobuf with the OTLP messages below (a subset of
 * opentelemetry/proto trace/v1 and collector/trace/v1, field numbers as published), and keeps the
 * spans flat. `mode`: answer, hang (read the request, never answer) or refuse (503 to every request).
 */

const OTLP_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; fixed32 flags = 16;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10;
  repeated Event events = 11; uint32 dropped_events_count = 12;
  repeated Link links = 13; uint32 dropped_links_count = 14; Status status = 15;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4; uint32 dropped_attributes_count = 5; fixed32 flags = 6; }
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;

const Request = protobuf.parse(OTLP_PROTO).root.lookupType('otlp.ExportTraceServiceRequest');

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string }[];
  status: { code: number; message?: string };
  resource: Record<string, unknown>;
}

export interface Receiver {
  /** The base URL (OTEL_EXPORTER_OTLP_ENDPOINT); traces go to `${url}/v1/traces`. */
  url: string;
  spans: ReceivedSpan[];
  /** Each request's content type, in order. */
  contentTypes: string[];
  /** Requests that arrived (answered or not). */
  requests: number;
  /** Spans per answered request, in order. */
  batches: number[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
const hex = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : '');

function valueOf(v: Json | undefined): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return (((v.arrayValue as Json).values ?? []) as Json[]).map(valueOf);
  return undefined;
}

const attrs = (list: unknown): Record<string, unknown> => Object.fromEntries(((list ?? []) as Json[]).map((kv) => [kv.key as string, valueOf(kv.value as Json)]));

/** The spans of one export request (OTLP JSON or the protobuf message as a plain object: the same camelCase field names). */
export function flatten(req: Json): ReceivedSpan[] {
  return ((req.resourceSpans ?? []) as Json[]).flatMap((rs) => {
    const resource = attrs((rs.resource as Json | undefined)?.attributes);
    return ((rs.scopeSpans ?? []) as Json[]).flatMap((ss) =>
      ((ss.spans ?? []) as Json[]).map((s) => ({
        traceId: hex(s.traceId),
        spanId: hex(s.spanId),
        parentSpanId: hex(s.parentSpanId),
        name: s.name as string,
        kind: Number(s.kind ?? 0),
        attributes: attrs(s.attributes),
        events: ((s.events ?? []) as Json[]).map((e) => ({ name: e.name as string, attributes: attrs(e.attributes) })),
        links: ((s.links ?? []) as Json[]).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
        status: { code: Number((s.status as Json | undefined)?.code ?? 0), ...((s.status as Json | undefined)?.message ? { message: (s.status as Json).message as string } : {}) },
        resource,
      })),
    );
  });
}

export function decode(contentType: string, body: Buffer): ReceivedSpan[] {
  if (contentType.startsWith('application/json')) return flatten(JSON.parse(body.toString('utf8')) as Json);
  if (contentType.startsWith('application/x-protobuf')) return flatten(Request.toObject(Request.decode(body), { longs: String, arrays: true }) as Json);
  throw new Error(`unexpected content type ${contentType}`);
}

export async function startReceiver(mode: 'answer' | 'hang' | 'refuse' = 'answer'): Promise<Receiver> {
  const r: Omit<Receiver, 'url' | 'close'> = { spans: [], contentTypes: [], requests: 0, batches: [] };
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.requests++;
      const type = req.headers['content-type'] ?? '';
      r.contentTypes.push(type);
      if (mode === 'hang') return void hanging.push(res);
      if (mode === 'refuse' || req.url !== '/v1/traces') {
        res.writeHead(mode === 'refuse' ? 503 : 404).end();
        return;
      }
      const got = decode(type, Buffer.concat(chunks));
      r.spans.push(...got);
      r.batches.push(got.length);
      const json = type.startsWith('application/json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : Buffer.alloc(0));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return Object.assign(r, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  }) as Receiver;
}
