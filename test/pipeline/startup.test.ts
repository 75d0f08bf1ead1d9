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

  it('refuses an ingest token, link secret or webhook secret under 32 characters, without echoing it', () => {
    const short = 'hunter2-but-longer-0123456789';
    let error: unknown;
    try {
      loadConfig({ SRE_INGEST_TOKEN: short, SRE_LINK_SECRET: short, SRE_WEBHOOK_SECRET: short, SRE_WEBHOOK_URLS: 'https://hooks.example.test/sre' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['SRE_INGEST_TOKEN', 'SRE_LINK_SECRET', 'SRE_WEBHOOK_SECRET']) expect(problems).toMatch(new RegExp(`${name}: too short \\(29 characters; at least 32`));
    expect(problems).not.toContain(short);
    expect(loadConfig({ SRE_INGEST_TOKEN: 'x'.repeat(32) }).ingest.token).toHaveLength(32);
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
