import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('SRE_HEARTBEAT_TTL', () => {
  it('defaults to three seconds and takes a duration', () => {
    expect(loadConfig({}).replicas.heartbeatTtlMs).toBe(3_000);
    expect(loadConfig({ SRE_HEARTBEAT_TTL: '1s' }).replicas.heartbeatTtlMs).toBe(1_000);
    expect(loadConfig({ SRE_HEARTBEAT_TTL: '500ms' }).replicas.heartbeatTtlMs).toBe(500);
  });

  it('refuses what is not a duration, or one outside 300ms to 60s, naming the variable', () => {
    expect(() => loadConfig({ SRE_HEARTBEAT_TTL: 'soon' })).toThrow(ConfigError);
    expect(() => loadConfig({ SRE_HEARTBEAT_TTL: 'soon' })).toThrow(/SRE_HEARTBEAT_TTL: expected a duration/);
    expect(() => loadConfig({ SRE_HEARTBEAT_TTL: '100ms' })).toThrow(/SRE_HEARTBEAT_TTL: expected a heartbeat TTL from 300ms to 60s/);
    expect(() => loadConfig({ SRE_HEARTBEAT_TTL: '5m' })).toThrow(/SRE_HEARTBEAT_TTL: expected a heartbeat TTL from 300ms to 60s/);
  });
});
