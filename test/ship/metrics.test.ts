import { readFileSync } from 'node:fs';
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES, createMetrics } from '../../src/metrics.js';
import { sample } from './support.js';

describe('metrics', () => {
  it('declares every documented metric with HELP and TYPE, plus default process metrics', async () => {
    const text = await createMetrics().render();
    for (const name of METRIC_NAMES) {
      expect(text, name).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
      expect(text, name).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'));
    }
    expect(text).toMatch(/^# TYPE sre_events_ingested_total counter$/m);
    expect(text).toMatch(/^# TYPE sre_proposals_current gauge$/m);
    expect(text).toMatch(/^# TYPE sre_http_request_duration_seconds histogram$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('counts what happened, with labels, in Prometheus text format', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.eventsIngested.inc({ type: 'provider.unhealthy', outcome: 'accepted' });
    m.eventsIngested.inc({ type: 'provider.unhealthy', outcome: 'accepted' });
    m.eventsIngested.inc({ type: 'provider.unhealthy', outcome: 'duplicate' });
    m.proposalsTransitions.inc({ action: 'circuit_break_provider', status: 'pending' });
    m.decisions.inc({ channel: 'slack', decision: 'approve' });
    m.executions.inc({ action: 'circuit_break_provider', outcome: 'succeeded' });
    m.notifications.inc({ channel: 'email', outcome: 'dead' });
    m.modelCalls.inc({ outcome: 'error' });
    m.modelTokens.inc({ kind: 'input' }, 1200);
    m.modelFallbacks.inc();
    m.observeHttp('POST', '/v1/events', 202, 0.03);

    const text = await m.render();
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(text, 'sre_events_ingested_total', { type: 'provider.unhealthy', outcome: 'accepted' })).toBe(2);
    expect(sample(text, 'sre_events_ingested_total', { type: 'provider.unhealthy', outcome: 'duplicate' })).toBe(1);
    expect(sample(text, 'sre_proposals_total', { action: 'circuit_break_provider', status: 'pending' })).toBe(1);
    expect(sample(text, 'sre_decisions_total', { channel: 'slack', decision: 'approve' })).toBe(1);
    expect(sample(text, 'sre_executions_total', { action: 'circuit_break_provider', outcome: 'succeeded' })).toBe(1);
    expect(sample(text, 'sre_notifications_total', { channel: 'email', outcome: 'dead' })).toBe(1);
    expect(sample(text, 'sre_model_calls_total', { outcome: 'error' })).toBe(1);
    expect(sample(text, 'sre_model_tokens_total', { kind: 'input' })).toBe(1200);
    expect(sample(text, 'sre_model_fallbacks_total')).toBe(1);
    const route = { method: 'POST', route: '/v1/events', status: '202' };
    expect(sample(text, 'sre_http_request_duration_seconds_count', route)).toBe(1);
    expect(sample(text, 'sre_http_request_duration_seconds_bucket', { ...route, le: '0.05' })).toBe(1);
    expect(sample(text, 'sre_http_request_duration_seconds_bucket', { ...route, le: '0.025' })).toBe(0);

    m.eventsIngested.inc({ type: 'provider.unhealthy', outcome: 'accepted' });
    const again = await m.render();
    expect(sample(again, 'sre_events_ingested_total', { type: 'provider.unhealthy', outcome: 'accepted' })).toBe(3);
  });

  it('refreshes database-backed gauges through the collector at scrape time', async () => {
    const m = createMetrics({ defaultMetrics: false });
    let pending = 4;
    m.setCollector(async () => {
      m.proposalsCurrent.set({ status: 'pending' }, pending);
      m.incidentsOpen.set(2);
      m.dispatcherQueueDepth.set(7);
      m.consumerLag.set(11);
    });
    let text = await m.render();
    expect(sample(text, 'sre_proposals_current', { status: 'pending' })).toBe(4);
    expect(sample(text, 'sre_incidents_open')).toBe(2);
    expect(sample(text, 'sre_dispatcher_queue_depth')).toBe(7);
    expect(sample(text, 'sre_consumer_lag')).toBe(11);
    pending = 1;
    text = await m.render();
    expect(sample(text, 'sre_proposals_current', { status: 'pending' })).toBe(1);
  });

  it('still serves the scrape when the collector fails, and counts the failure', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.setCollector(async () => {
      m.incidentsOpen.set(3);
    });
    await m.render();
    m.setCollector(async () => {
      throw new Error('database unreachable');
    });
    const text = await m.render();
    expect(sample(text, 'sre_incidents_open')).toBe(3);
    expect(sample(text, 'sre_metrics_collect_errors_total')).toBe(1);
  });

  it('are all listed in docs/deploy.md', () => {
    const doc = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
    for (const name of METRIC_NAMES) expect(doc, name).toContain(`| \`${name}\` |`);
  });

  it('keeps each agent in its own registry, never the global one', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics();
    a.modelFallbacks.inc(5);
    expect(sample(await a.render(), 'sre_model_fallbacks_total')).toBe(5);
    expect(sample(await b.render(), 'sre_model_fallbacks_total')).toBe(0);
    expect(await globalRegistry.metrics()).not.toContain('sre_');
  });
});
