import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows, schema } from '../../../src/db/client.js';
import { seedPending } from '../../notify/fixtures.js';
import { hidden } from './client.js';
import { consoleSession } from './session.js';

describe('console: the kill switch, stale proposals and verification', () => {
  const app = consoleSession();
  const { page, postForm } = app;
  const switchRow = async () => (await app.db.select().from(schema.agentSwitch))[0];

  it('pauses with a reason (CSRF-checked), shows who paused and why on every page, refuses approvals, and resumes', async () => {
    const s = await seedPending(app.db);
    const front = await page('/sre');
    expect(front.body).toContain('data-kill-switch="running"');
    const csrf = hidden(front.body, 'csrf')!;
    expect((await postForm('/sre/pause', { reason: 'deploy freeze' })).status).toBe(403);
    expect((await postForm('/sre/pause', { reason: '  ', csrf })).status).toBe(400);
    expect(await switchRow()).toBeUndefined();

    const paused = await postForm('/sre/pause', { reason: 'deploy <b>freeze</b>', csrf });
    expect(paused.status).toBe(303);
    const after = await page('/sre');
    expect(after.body).toContain('data-kill-switch="paused"');
    expect(after.body).toContain('The agent is paused</strong> by alice');
    expect(after.body).toContain('deploy &lt;b&gt;freeze&lt;/b&gt;');
    expect(after.body).toContain('action="/sre/resume"');
    const detail = await page(`/sre/proposals/${s.proposalId}`);
    expect(detail.body).toContain('data-kill-switch="paused"');

    const refused = await postForm(`/sre/proposals/${s.proposalId}/decision`, { decision: 'approve', csrf });
    expect(refused.status).toBe(423);
    expect(refused.body).toMatch(/paused by alice/);
    const [p] = await app.db.select().from(schema.proposals).where(eq(schema.proposals.id, s.proposalId));
    expect(p!.status).toBe('pending');

    expect((await postForm('/sre/resume', { csrf, reason: 'fixed' })).status).toBe(303);
    expect(await switchRow()).toMatchObject({ paused: false });
    expect((await page('/sre')).body).toContain('data-kill-switch="running"');
    const trail = await queryRows<{ kind: string; actor: string }>(app.db, sql`select kind, actor from sre_actions where kind like 'agent.%' order by seq`);
    expect(trail).toEqual([
      { kind: 'agent.paused', actor: 'alice' },
      { kind: 'agent.resumed', actor: 'alice' },
    ]);
  });

  it('a stale proposal says why it was not executed; verification shows its state and reason', async () => {
    const s = await seedPending(app.db, { provider: 'bedrock' });
    await app.db.update(schema.proposals).set({ status: 'stale', staleReason: 'bedrock is healthy <again>' }).where(eq(schema.proposals.id, s.proposalId));
    const stale = await page(`/sre/proposals/${s.proposalId}`);
    expect(stale.body).toContain('stale — not executed');
    // The console page words the decision-time re-check's refusal as "the situation changed".
    expect(stale.body).toContain('<strong>Not executed:</strong> the situation changed — bedrock is healthy &lt;again&gt;');
    expect(stale.body).not.toContain('name="decision"');

    const v = await seedPending(app.db, { provider: 'vertex', status: 'succeeded' });
    for (const [status, label] of [['pending', 'watching the effect'], ['passed', 'passed'], ['failed', 'failed'], ['reverted', 'failed, reverted']] as const) {
      await app.db.update(schema.proposals).set({ verificationStatus: status, verificationReason: `reason for ${status}` }).where(eq(schema.proposals.id, v.proposalId));
      const body = (await page(`/sre/proposals/${v.proposalId}`)).body;
      expect(body).toContain(`<p class="note v-${status}"><strong>Verification:</strong> ${label} — reason for ${status}`);
    }
  });
});
