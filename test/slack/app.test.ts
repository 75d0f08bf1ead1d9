import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ServiceDeps } from '../../src/proposals/types.js';
import { createSlackApp } from '../../src/slack/app.js';
import { signSlackRequest, verifySlackSignature } from '../../src/slack/verify.js';

const deps = {} as ServiceDeps;
const logger = pino({ level: 'silent' });

describe('createSlackApp modes', () => {
  it('Socket Mode with an app token: no HTTP handler', () => {
    const app = createSlackApp({ deps, botToken: 'xoxb-x', appToken: 'xapp-x', apiUrl: 'https://slack.test/api/', approvers: [], logger });
    expect(app.handler).toBeUndefined();
  });
  it('HTTP mode needs a signing secret', () => {
    expect(() => createSlackApp({ deps, botToken: 'xoxb-x', apiUrl: 'https://slack.test/api/', approvers: [], logger })).toThrow(/SLACK_SIGNING_SECRET/);
    const app = createSlackApp({ deps, botToken: 'xoxb-x', signingSecret: 's', apiUrl: 'https://slack.test/api/', approvers: [], logger });
    expect(typeof app.handler).toBe('function');
  });
});

describe('verifySlackSignature', () => {
  const body = Buffer.from('token=x&command=%2Fsre&text=pending');
  const now = 1_790_000_000_000;
  const ts = now / 1000;
  const ok = (over: Partial<Parameters<typeof verifySlackSignature>[0]>) =>
    verifySlackSignature({ signingSecret: 'secret', signature: signSlackRequest('secret', ts, body), timestamp: String(ts), rawBody: body, nowMs: now, ...over }).ok;
  it('accepts the real signature within five minutes either way', () => {
    expect(ok({})).toBe(true);
    expect(ok({ nowMs: now + 300_000 })).toBe(true);
    expect(ok({ nowMs: now - 300_000 })).toBe(true);
  });
  it('refuses stale, future, malformed and missing timestamps, other secrets and other bytes', () => {
    expect(ok({ nowMs: now + 301_000 })).toBe(false);
    expect(ok({ nowMs: now - 301_000 })).toBe(false);
    expect(ok({ timestamp: `${ts}.5` })).toBe(false);
    expect(ok({ timestamp: undefined })).toBe(false);
    expect(ok({ signature: undefined })).toBe(false);
    expect(ok({ signature: signSlackRequest('other', ts, body) })).toBe(false);
    expect(ok({ rawBody: Buffer.from('token=x&command=%2Fsre&text=pendinG') })).toBe(false);
    expect(ok({ signature: 'v0=short' })).toBe(false);
  });
});
