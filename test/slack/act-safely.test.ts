import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/db/client.js';
import { buildAgentStatus, buildHelp, buildProposalCard } from '../../src/slack/blocks/index.js';
import { slackTest } from '../support/fixtures.js';
import { proposalView } from './fixtures.js';
import { runDueJobs } from '../support/jobs.js';
import { ACTION_APPROVE } from '../../src/slack/blocks/ids.js';
import { buttonClick, cardUpdates, CHANNEL, deliverAll, form, HOOKS, openIncident, postSigned, STRANGER, type Harness } from './harness.js';

const HOSTILE = '<!channel> <@U0BAD> <https://evil.example|click>';
const text = (m: { blocks: unknown[]; text: string }) => JSON.stringify(m.blocks);

describe('the proposal card in each act-safely state (Block Kit builders)', () => {
  it('stale: says it was not executed and why, escaped, with no buttons', () => {
    const m = buildProposalCard(proposalView({ status: 'stale', stale_reason: `openai is healthy again ${HOSTILE}`, decided_by: 'alice', decided_at: '2026-11-25T10:05:00.000Z' }));
    expect(text(m)).toContain('*not executed:*');
    expect(text(m)).toContain('openai is healthy again &lt;!channel&gt;');
    expect(text(m)).not.toContain('<!channel>');
    expect(text(m)).toContain('A fresh proposal follows while the incident is open');
    expect(m.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(m.text).toContain('— not executed ·');
  });

  it.each([
    ['pending', 'checking whether it helped'],
    ['passed', 'verified, it helped'],
    ['failed', 'verification failed, it did not help'],
    ['reverted', 'reverted after the check'],
  ] as const)('verification %s: "%s" with its reason', (status, label) => {
    const m = buildProposalCard(proposalView({ status: 'succeeded', verification: { status, reason: `why ${HOSTILE}`, checked_at: status === 'pending' ? null : '2026-11-25T10:10:00.000Z' } }));
    expect(text(m)).toContain(`*Check:* ${label}`);
    expect(text(m)).toContain('why &lt;!channel&gt;');
  });

  it('no verification line before an execution', () => {
    expect(text(buildProposalCard(proposalView()))).not.toMatch(/Verif/);
  });

  it('paused: a waiting card says who paused, when and why; a finished one does not', () => {
    const paused = { by: 'alice', reason: `maintenance ${HOSTILE}`, at: '2026-11-25T10:00:00.000Z' };
    const m = buildProposalCard(proposalView({ agent_paused: paused }));
    expect(text(m)).toContain('The agent is paused* by alice');
    expect(text(m)).toContain('maintenance &lt;!channel&gt;');
    expect(text(m)).toContain('/sre resume');
    expect(text(buildProposalCard(proposalView({ status: 'rejected', agent_paused: paused })))).not.toContain('The agent is paused');
  });

  it('a held automatic approval shows the brake among its factors', () => {
    const m = buildProposalCard(proposalView({ risk_factors: [{ name: 'hourly_cap', delta: 0, reason: '10 executions in the last hour reached SRE_MAX_ACTIONS_PER_HOUR (10): a human decides' }] }));
    expect(text(m)).toContain('hourly cap: 10 executions in the last hour');
  });

  it('status answers and help name the kill switch', () => {
    expect(text(buildAgentStatus({ mode: 'live', paused: true, paused_by: `bob ${HOSTILE}`, paused_reason: 'why', paused_at: '2026-11-25T10:00:00.000Z' }, 'paused'))).toMatch(/Paused\.\* :octagonal_sign: \*The agent is paused\* by bob &lt;!channel&gt;/);
    expect(text(buildAgentStatus({ mode: 'shadow', paused: false, paused_by: null, paused_reason: null, paused_at: null }))).toContain('Mode: *shadow*');
    expect(buildHelp().text).toBe('/sre pending | show ID | status | pause REASON | resume | help');
  });
});

describe('/sre pause | resume | status', () => {
  const switchRow = async (h: Harness) => (await h.db.db.select().from(schema.agentSwitch))[0];

  slackTest('an approver pauses with a reason, sees the status, and resumes; approvals are refused meanwhile', async ({ harness: h, slack, answer }) => {
    const p = await openIncident(h);
    expect(await answer('pause')).toContain('Say why');
    expect(await switchRow(h)).toBeUndefined();
    expect(await answer('pause   bad deploy on the gateway')).toContain('The agent is paused* by <@U0APPROVER>');
    // Said in the incident channel for everyone, with who and why.
    const said = () => slack.of('chat.postMessage').filter((c) => c.args.channel === CHANNEL && c.args.thread_ts === undefined).map((c) => String(c.args.text));
    expect(said()).toContain('<@U0APPROVER> paused the agent: bad deploy on the gateway. Nothing executes until `/sre resume`; proposals are still made.'.replace(/^/, ':octagonal_sign: '));
    expect(await switchRow(h)).toMatchObject({ paused: true, pausedReason: 'bad deploy on the gateway', pausedBy: 'u0approver (slack U0APPROVER)' });
    expect(await answer('status')).toContain('bad deploy on the gateway');
    expect(await answer('pause again')).toContain('already paused');
    await buttonClick(h, ACTION_APPROVE, p);
    await h.slack.idle();
    expect(JSON.stringify(slack.of('chat.postEphemeral').map((c) => c.args.text))).toContain('Not approved: the agent is paused by u0approver');
    const [row] = await h.db.db.select().from(schema.proposals).where(eq(schema.proposals.id, p.id));
    expect(row!.status).toBe('pending');
    expect(h.gateway.calls()).toEqual([]);
    // The refusal is written on the card the approver clicked, in place.
    const onCard = slack.of('chat.update').filter((c) => c.args.ts === '1790000003.000100').map((c) => JSON.stringify(c.args.blocks));
    expect(onCard.at(-1)).toContain('*Approval refused:* Not approved: the agent is paused');
    expect(await answer('resume all clear')).toContain('Resumed');
    expect(said().at(-1)).toBe(':arrow_forward: <@U0APPROVER> resumed the agent: all clear. Approved and automatic actions execute again.');
    expect(said().filter((t) => t.includes('the agent'))).toHaveLength(2);
    expect(await switchRow(h)).toMatchObject({ paused: false });
    const kinds = (await h.db.db.select().from(schema.sreActions)).map((r) => r.kind).filter((k) => k.startsWith('agent.'));
    expect(kinds).toEqual(['agent.paused', 'agent.resumed']);
  });

  slackTest('a non-approver is refused, audited, and nothing changes', async ({ harness: h, answer }) => {
    expect(await answer('pause I do not like it', STRANGER)).toContain('You are not allowed to pause the agent from Slack: not an approver');
    expect(await answer('status', STRANGER)).toContain('not allowed');
    expect(await switchRow(h)).toBeUndefined();
    const denied = await h.db.db.select().from(schema.sreActions).where(eq(schema.sreActions.kind, 'decision.denied'));
    expect(denied.map((d) => d.payload.proposal_ref)).toEqual(['/sre pause', '/sre status']);
  });

  slackTest('after an approval the thread and the card say whether the action helped', async ({ harness: h, slack }) => {
    const p = await openIncident(h);
    await deliverAll(h);
    await buttonClick(h, ACTION_APPROVE, p);
    await h.slack.idle();
    await deliverAll(h);
    expect(JSON.stringify(cardUpdates(slack).at(-1)!.args.blocks)).toContain('checking whether it helped');
    // Past the verification window (a 300 s circuit-break is judged at 295 s).
    await h.clock.advance(300_000);
    expect(await runDueJobs(h.deps)).toBeGreaterThan(0);
    await deliverAll(h);
    const thread = slack.of('chat.postMessage').map((c) => String(c.args.text));
    expect(thread.some((t) => t.startsWith(":white_check_mark: Verified: Break openai's circuit for 5 min — no event at the same or worse severity"))).toBe(true);
    expect(JSON.stringify(cardUpdates(slack).at(-1)!.args.blocks)).toContain('verified, it helped');
  });

  slackTest('a command from another workspace is refused and changes nothing', async ({ harness: h, slack }) => {
    const fields = { token: 't', team_id: 'T0OTHER', user_id: STRANGER, user_name: 'x', command: '/sre', text: 'pause because', response_url: `${HOOKS}commands/T0OTHER/1/abc`, trigger_id: '1.2.3', channel_id: 'C1' };
    expect((await postSigned(h, form(fields), 'application/x-www-form-urlencoded')).status).toBe(200);
    await h.slack.idle();
    expect(JSON.stringify(slack.hooks.map((x) => x.body))).toContain('not the one the agent is installed in');
    expect(await switchRow(h)).toBeUndefined();
  });
});
