import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SLASH_COMMAND } from '../../src/slack/blocks/ids.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const manifest = parse(readFileSync(path.join(ROOT, 'manifest.yml'), 'utf8')) as any;

/** The Web API methods our Slack code calls, and the bot scope each needs (null: none). */
const METHOD_SCOPES: Record<string, string | null> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.delete': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'usergroups.users.list': 'usergroups:read',
  // users.info's profile.email (linking a Slack user to a person of SRE_PEOPLE) also needs users:read.email.
  'users.info': 'users:read users:read.email',
  'views.open': null,
  // The closing summary reads its thread before posting (a post whose answer was lost is not repeated).
  'conversations.replies': 'channels:history',
};
const EVENT_SCOPES: Record<string, string> = { app_mention: 'app_mentions:read', 'message.channels': 'channels:history' };

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const code = [...sources(path.join(ROOT, 'src/slack')), ...sources(path.join(ROOT, 'src/notify/slack'))].map((f) => readFileSync(f, 'utf8')).join('\n');

describe('manifest.yml', () => {
  it('has the fields Slack requires', () => {
    expect(typeof manifest.display_information.name).toBe('string');
    expect(manifest.display_information.name.length).toBeLessThanOrEqual(35);
    expect(manifest.display_information.description.length).toBeLessThanOrEqual(140);
    expect(manifest.display_information.background_color).toMatch(/^#[0-9a-f]{6}$/i);
    expect(manifest.features.bot_user.display_name).toMatch(/^[a-z0-9._-]{1,80}$/);
    expect(Array.isArray(manifest.oauth_config.scopes.bot)).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(typeof manifest.settings.socket_mode_enabled).toBe('boolean');
    for (const c of manifest.features.slash_commands) {
      expect(c.command).toMatch(/^\/[a-z0-9_-]{1,31}$/);
      expect(c.description.length).toBeLessThanOrEqual(2000);
      expect(c.url).toMatch(/^https:\/\//);
    }
  });

  it('points every request URL at /slack/events', () => {
    const urls = [manifest.settings.event_subscriptions.request_url, manifest.settings.interactivity.request_url, ...manifest.features.slash_commands.map((c: any) => c.url)];
    for (const u of urls) expect(new URL(u).pathname).toBe('/slack/events');
  });

  it('matches the code: the command, the events, and exactly the scopes the calls need', () => {
    expect(manifest.features.slash_commands.map((c: any) => c.command)).toEqual([SLASH_COMMAND]);
    const events: string[] = manifest.settings.event_subscriptions.bot_events;
    expect(events.sort()).toEqual(['app_mention', 'message.channels']);
    expect(code).toContain("app.event('app_mention'");
    expect(code).toContain('app.message(');

    const called = new Set([...code.matchAll(/client\.((?:[a-z]+\.)+[a-zA-Z]+)\(/g)].map((m) => m[1]!));
    expect(called.size).toBeGreaterThan(3);
    for (const m of called) expect(Object.keys(METHOD_SCOPES), `scope for ${m}`).toContain(m);
    const needed = new Set<string>(['commands']);
    for (const m of called) for (const sc of METHOD_SCOPES[m]?.split(' ') ?? []) needed.add(sc);
    for (const e of events) needed.add(EVENT_SCOPES[e]!);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });
});
