import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createAgent, StartupError } from '../../src/main.js';

describe('configuration', () => {
  it('lists every problem at once and names the variable', () => {
    let error: unknown;
    try {
      loadConfig({ SRE_RISK_THRESHOLD: '140', SRE_AUTO_APPROVE: 'maybe', SRE_ESCALATE_AFTER: 'soon', DATABASE_URL: 'mysql://x', SRE_API_TOKENS: 'alice:short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['SRE_RISK_THRESHOLD', 'SRE_AUTO_APPROVE', 'SRE_ESCALATE_AFTER', 'DATABASE_URL', 'SRE_API_TOKENS']) expect(problems).toContain(name);
    expect(problems).not.toContain('short');
  });

  it('has the contract defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      http: { port: 8080, publicBaseUrl: 'http://localhost:8080' },
      policy: { riskThreshold: 40, autoApprove: false },
      agent: { model: 'claude-sonnet-4-6' },
      bus: { stream: 'scutum:events', consumerGroup: 'sre-agent' },
      lifecycle: { escalateAfterMs: 15 * 60_000, proposalTtlMs: 24 * 3_600_000 },
      license: { tier: 'business' },
    });
  });
});

describe('licence', () => {
  for (const tier of ['trial', 'team']) {
    it(`refuses to start on the ${tier} tier, naming the tiers that include the agent`, async () => {
      const config = loadConfig({ SCUTUM_LICENSE_TIER: tier });
      await expect(createAgent(config, { logger: pino({ level: 'silent' }) })).rejects.toThrow(StartupError);
      await expect(createAgent(config, { logger: pino({ level: 'silent' }) })).rejects.toThrow(/business and enterprise/);
    });
  }
});
