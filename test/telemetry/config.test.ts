import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

/** OpenTelemetry's variables and SRE_TRACE_URL through the configuration: bad input stops the start, naming the variable. */

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('SRE_TRACE_URL', () => {
  it('is a link template with {trace_id}', () => {
    expect(loadConfig({ SRE_TRACE_URL: 'https://tempo.example/trace/{trace_id}' }).telemetry.traceUrl).toBe('https://tempo.example/trace/{trace_id}');
    expect(loadConfig({}).telemetry.traceUrl).toBeUndefined();
  });

  it('refuses a value that is not an http(s) URL, or has no {trace_id}, with a clear message', () => {
    expect(problems({ SRE_TRACE_URL: 'tempo.example/trace/{trace_id}' })).toEqual(['SRE_TRACE_URL: expected an http:// or https:// URL']);
    expect(problems({ SRE_TRACE_URL: 'javascript:alert(1)//{trace_id}' })).toEqual(['SRE_TRACE_URL: expected an http:// or https:// URL, got a javascript: URL']);
    expect(problems({ SRE_TRACE_URL: 'https://tempo.example/trace/' })).toEqual(['SRE_TRACE_URL: must contain {trace_id}, e.g. https://tempo.example/trace/{trace_id}']);
  });
});

describe('OpenTelemetry variables', () => {
  it('turn tracing on only with an endpoint; the general one gets /v1/traces, the traces one is used as given', () => {
    expect(loadConfig({}).telemetry.tracesUrl).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).telemetry.tracesUrl).toBe('http://collector:4318/v1/traces');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otlp.example/api/traces' }).telemetry.tracesUrl).toBe('https://otlp.example/api/traces');
  });

  it('take the traces protocol over the general one, http/protobuf by default', () => {
    expect(loadConfig({}).telemetry.protocol).toBe('http/protobuf');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).telemetry.protocol).toBe('http/json');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }).telemetry.protocol).toBe('http/protobuf');
  });

  it('name the service from OTEL_SERVICE_NAME, else service.name of OTEL_RESOURCE_ATTRIBUTES, else sre-agent', () => {
    expect(loadConfig({}).telemetry.serviceName).toBe('sre-agent');
    expect(loadConfig({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,region=eu%2Dwest' }).telemetry).toMatchObject({ serviceName: 'from-attrs', resourceAttributes: { 'service.name': 'from-attrs', region: 'eu-west' } });
    expect(loadConfig({ OTEL_SERVICE_NAME: 'sre-a', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' }).telemetry.serviceName).toBe('sre-a');
  });

  it('refuse what does not parse, naming the variable and never a header value', () => {
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' })).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:// or https:// URL, got a grpc: URL']);
    expect(problems({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })[0]).toMatch(/^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: expected one of http\/protobuf, http\/json/);
    expect(problems({ OTEL_TRACES_SAMPLER: 'sometimes' })[0]).toMatch(/^OTEL_TRACES_SAMPLER: expected one of always_on/);
    expect(problems({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' })).toEqual(['OTEL_TRACES_SAMPLER_ARG: expected a ratio 0–1 for traceidratio, got "1.5"']);
    expect(problems({ OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '20' })).toEqual(['OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 20 is larger than OTEL_BSP_MAX_QUEUE_SIZE (10)']);
    expect(problems({ OTEL_BSP_SCHEDULE_DELAY: 'soon' })[0]).toMatch(/^OTEL_BSP_SCHEDULE_DELAY: expected an integer/);
    const bad = problems({ OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cr3t-value,%zz' });
    expect(bad).toEqual(['OTEL_EXPORTER_OTLP_HEADERS: entry 2 must be key=value']);
    expect(bad.join(' ')).not.toContain('s3cr3t');
  });

  it('keep the sampler ratio and the batch limits as given', () => {
    const t = loadConfig({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25', OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BSP_EXPORT_TIMEOUT: '1000', OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc' }).telemetry;
    expect(t).toMatchObject({ sampler: { name: 'parentbased_traceidratio', ratio: 0.25 }, batch: { scheduleDelayMs: 200, exportTimeoutMs: 1000, maxQueueSize: 100, maxExportBatchSize: 10 }, headers: { authorization: 'Bearer abc' } });
  });
});
