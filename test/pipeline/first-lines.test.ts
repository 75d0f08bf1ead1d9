import { describe, expect, it } from 'vitest';
import { describeDefaults, describeGaps, loadConfig } from '../../src/config.js';

describe('the first log lines', () => {
  it('derive PUBLIC_BASE_URL from PORT when it is unset, so console forms match the address in use', () => {
    expect(loadConfig({ PORT: '8090' }).http.publicBaseUrl).toBe('http://localhost:8090');
    expect(loadConfig({}).http.publicBaseUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PORT: '8090', PUBLIC_BASE_URL: 'https://sre.example.com/' }).http.publicBaseUrl).toBe('https://sre.example.com');
  });

  it('name half-configured channels: Slack without a channel or approvers, settings of a channel that is off', () => {
    const slack = describeGaps(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'sig' }));
    expect(slack.join('\n')).toMatch(/SLACK_INCIDENT_CHANNEL is unset, so no incident is ever posted/);
    expect(slack.join('\n')).toMatch(/SRE_APPROVERS is unset, so nobody can approve from Slack/);
    expect(describeGaps(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'sig', SLACK_INCIDENT_CHANNEL: 'C1', SRE_APPROVERS: 'U1AB' }))).toEqual([]);
    expect(describeGaps(loadConfig({ SLACK_INCIDENT_CHANNEL: 'C1' }))).toEqual(['slack: SLACK_INCIDENT_CHANNEL set but SLACK_BOT_TOKEN is unset, so Slack stays off']);
    expect(describeGaps(loadConfig({ SRE_EMAIL_TO: 'a@example.com' })).join('\n')).toMatch(/SENDGRID_API_KEY is unset, so no email is sent/);
    expect(describeGaps(loadConfig({ SRE_WEBHOOK_SECRET: 's'.repeat(32) })).join('\n')).toMatch(/SRE_WEBHOOK_URLS is empty/);
    expect(describeGaps(loadConfig({ ADMIN_API_URL: 'https://admin.example' })).join('\n')).toMatch(/without ADMIN_API_TOKEN/);
    expect(describeGaps(loadConfig({}))).toEqual([]);
  });

  it('say how to reach the console and whether ingest over HTTP is open', () => {
    const bare = describeDefaults(loadConfig({})).join('\n');
    expect(bare).toContain('one-time sign-in link');
    expect(bare).toContain('POST /v1/events refuses every request (SRE_INGEST_TOKEN unset)');
    const set = describeDefaults(loadConfig({ SRE_API_TOKENS: 'alice:alice-token-0123456789', SRE_INGEST_TOKEN: 'i'.repeat(32) })).join('\n');
    expect(set).toContain('1 operator(s) from SRE_API_TOKENS at http://localhost:8080/sre');
    expect(set).not.toContain('alice-token');
  });
});
