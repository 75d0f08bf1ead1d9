import { withoutTrailingSlashes } from '../domain/text.js';
import { systemClock, type Clock } from '../clock.js';
import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import { asc, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import { schema, type Db } from '../db/client.js';
import type { RiskFactor } from '../domain/risk.js';
import { PermanentDeliveryError, RetryableDeliveryError, type ChannelAdapter, type DeliveryOutcome, type OutboxRow } from './adapter.js';
import { decideUrl, issueDecisionLinks, mailedRecipients, markMailed } from './links.js';

/**
 * Email fallback through SendGrid: one message per recipient (each carries its own single-use
 * approve and reject links), plain text and HTML, click tracking off so links are not rewritten.
 * SendGrid's mail/send has no idempotency key: a recipient whose mail was accepted is recorded and
 * skipped on retry, so only a crash between SendGrid's answer and that record sends a mail twice.
 */

export interface EmailAdapterOptions {
  db: Db;
  apiKey: string;
  /** SENDGRID_API_URL, e.g. https://api.sendgrid.com */
  apiUrl: string;
  from: string;
  to: string[];
  linkSecret: string;
  publicBaseUrl: string;
  tokenTtlMs?: number;
  logger: Logger;
  clock?: Clock;
}

interface MailProposal {
  id: string;
  incidentId: string;
  status: string;
  action: string;
  target: string;
  params: Record<string, unknown>;
  riskScore: number;
  riskFactors: RiskFactor[];
  reasoning: string;
  expiresAt: Date;
  /** live or shadow: a shadow mail says nothing will execute. */
  mode?: string;
  approvalsRequired?: number;
  /** Who approved already (two-person rule). */
  approvals?: string[];
  incident: { type: string; subject: string; eventCount: number; firstSeen: Date; latest: Record<string, unknown> };
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (v: unknown): string => String(v).replace(/[&<>"']/g, (c) => ESC[c] ?? c);
const oneLine = (s: string): string => s.replace(/[\r\n\t]+/g, ' ').slice(0, 200);

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Pure: the mail for one recipient. Every value from an event, the model or a user is escaped in HTML. */
export function renderDecisionMail(p: MailProposal, kind: 'proposal.created' | 'proposal.escalated', links: { approve: string; reject: string; console: string }): RenderedMail {
  const shadow = p.mode === 'shadow';
  const head = kind === 'proposal.escalated' ? 'Escalated: still waiting for a decision' : 'Approval needed';
  const subject = oneLine(`[SRE]${shadow ? '[Shadow]' : ''} ${head}: ${p.action} on ${p.target} (risk ${p.riskScore})`);
  const [yes, no] = shadow ? ['Would approve', 'Would reject'] : ['Approve', 'Reject'];
  const notes = [
    ...(shadow ? ['Shadow mode: the agent never executes anything. Your decision is recorded as "would approve" or "would reject".'] : []),
    ...((p.approvalsRequired ?? 1) > 1
      ? [`Two-person rule: needs approvals from ${p.approvalsRequired} different people${p.approvals?.length ? ` (${p.approvals.length} of ${p.approvalsRequired}: ${p.approvals.join(', ')})` : ''}.`]
      : []),
  ];
  const params = Object.entries(p.params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
  const factors = p.riskFactors.map((f) => `  ${f.delta >= 0 ? '+' : ''}${f.delta}  ${f.name}: ${f.reason}`).join('\n');
  const text = [
    `${head}.`,
    ...notes,
    '',
    `Incident: ${p.incident.type} on ${p.incident.subject} (${p.incident.eventCount} events since ${p.incident.firstSeen.toISOString()})`,
    `Proposal: ${p.action} on ${p.target}`,
    `Parameters: ${params}`,
    `Risk score: ${p.riskScore}/100`,
    factors,
    '',
    'Reasoning:',
    p.reasoning,
    '',
    `${yes}: ${links.approve}`,
    `${no}:  ${links.reject}`,
    '',
    `Each link opens a confirmation page, works once and only for you, and expires. The proposal expires at ${p.expiresAt.toISOString()}.`,
    `Console: ${links.console}`,
    `Incident ${p.incidentId} · proposal ${p.id}`,
  ].join('\n');
  const e = escapeHtml;
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.45;color:#1b1f24">
<h2 style="margin:0 0 .5em">${e(head)}</h2>
${notes.map((n) => `<p style="background:#fff8c5;padding:8px 12px;border-radius:6px"><strong>${e(n)}</strong></p>`).join('\n')}
<p><strong>Incident:</strong> ${e(p.incident.type)} on ${e(p.incident.subject)} (${e(p.incident.eventCount)} events since ${e(p.incident.firstSeen.toISOString())})</p>
<p><strong>Proposal:</strong> ${e(p.action)} on ${e(p.target)}<br><strong>Parameters:</strong> <code>${e(params)}</code></p>
<p><strong>Risk score:</strong> ${e(p.riskScore)}/100</p>
<table cellpadding="4" style="border-collapse:collapse;font-size:14px">${p.riskFactors
    .map((f) => `<tr><td>${e(f.delta >= 0 ? `+${f.delta}` : f.delta)}</td><td>${e(f.name)}</td><td>${e(f.reason)}</td></tr>`)
    .join('')}</table>
<h3>Reasoning</h3><p style="white-space:pre-wrap">${e(p.reasoning)}</p>
<p><a href="${e(links.approve)}" style="background:#1a7f37;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${e(yes)}…</a>
&nbsp; <a href="${e(links.reject)}" style="background:#cf222e;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${e(no)}…</a></p>
<p style="color:#57606a;font-size:13px">Each link opens a confirmation page, works once and only for you, and expires. The proposal expires at ${e(p.expiresAt.toISOString())}.<br>
<a href="${e(links.console)}">Open in the console</a> · incident ${e(p.incidentId)} · proposal ${e(p.id)}</p>
</body></html>`;
  return { subject, text, html };
}

async function loadProposal(db: Db, id: string): Promise<MailProposal | undefined> {
  const { proposals, incidents } = schema;
  const [r] = await db.select().from(proposals).innerJoin(incidents, eq(incidents.id, proposals.incidentId)).where(eq(proposals.id, id)).limit(1);
  if (!r) return undefined;
  const p = r.proposals;
  const i = r.incidents;
  return {
    id: p.id,
    incidentId: p.incidentId,
    status: p.status,
    action: p.action,
    target: p.target,
    params: p.params,
    riskScore: p.riskScore,
    riskFactors: p.riskFactors,
    reasoning: p.reasoning,
    expiresAt: p.expiresAt,
    mode: p.mode,
    approvalsRequired: p.approvalsRequired,
    approvals: (await db.select({ name: schema.proposalApprovals.name }).from(schema.proposalApprovals).where(eq(schema.proposalApprovals.proposalId, p.id)).orderBy(asc(schema.proposalApprovals.seq))).map((a) => a.name),
    incident: { type: i.type, subject: i.subject, eventCount: i.eventCount, firstSeen: i.firstSeen, latest: i.latest },
  };
}

interface SendGridFailure {
  code?: number | string;
  response?: { headers?: Record<string, unknown>; body?: unknown };
}

function toDeliveryError(e: unknown): Error {
  const f = e as SendGridFailure;
  const status = typeof f.code === 'number' ? f.code : undefined;
  const body = f.response?.body as { errors?: { message?: string }[] } | undefined;
  const detail = body?.errors?.map((x) => x.message).filter(Boolean).join('; ').slice(0, 300);
  if (status === undefined) return new RetryableDeliveryError(`sendgrid unreachable: ${typeof f.code === 'string' ? f.code : 'network error'}`);
  const msg = `sendgrid answered ${status}${detail ? `: ${detail}` : ''}`;
  if (status === 429 || status >= 500) {
    const ra = Number(f.response?.headers?.['retry-after']);
    return new RetryableDeliveryError(msg, Number.isFinite(ra) && ra > 0 ? ra * 1000 : undefined);
  }
  return new PermanentDeliveryError(msg);
}

export function createEmailAdapter(opts: EmailAdapterOptions): ChannelAdapter {
  const client = new Client();
  client.setApiKey(opts.apiKey);
  // After setApiKey, which resets the base URL to SendGrid's global region.
  client.setDefaultRequest('baseUrl', `${withoutTrailingSlashes(opts.apiUrl)}/`);
  const mail = new MailService();
  mail.setClient(client);
  mail.setTimeout(10_000);
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now();
  const ttlMs = opts.tokenTtlMs ?? 3_600_000;
  const base = withoutTrailingSlashes(opts.publicBaseUrl);
  const logger = opts.logger.child({ component: 'email' });

  return {
    channel: 'email',
    async deliver(row: OutboxRow): Promise<DeliveryOutcome> {
      if (row.kind !== 'proposal.created' && row.kind !== 'proposal.escalated') return { status: 'skipped', reason: `email does not send ${row.kind}` };
      if (!row.proposalId) return { status: 'skipped', reason: 'no proposal' };
      const p = await loadProposal(opts.db, row.proposalId);
      if (!p) throw new PermanentDeliveryError(`proposal ${row.proposalId} not found`);
      // Auto-approved proposals and ones decided meanwhile need nobody's decision.
      if (p.status !== 'pending') return { status: 'skipped', reason: `proposal is ${p.status}` };
      const done = await mailedRecipients(opts.db, row.id);
      let sent = 0;
      for (const recipient of opts.to) {
        if (done.has(recipient)) continue;
        const t = await issueDecisionLinks(opts.db, { linkSecret: opts.linkSecret, proposalId: p.id, recipient, now: now(), ttlMs, outboxId: row.id });
        const rendered = renderDecisionMail(p, row.kind, {
          approve: decideUrl(base, t.approve),
          reject: decideUrl(base, t.reject),
          console: `${base}/sre/proposals/${encodeURIComponent(p.id)}`,
        });
        try {
          await mail.send({
            personalizations: [{ to: [{ email: recipient }] }],
            from: opts.from,
            subject: rendered.subject,
            content: [
              { type: 'text/plain', value: rendered.text },
              { type: 'text/html', value: rendered.html },
            ],
            headers: { 'X-SRE-Outbox-Id': String(row.id), 'X-SRE-Proposal-Id': p.id },
            customArgs: { outbox_id: String(row.id), proposal_id: p.id, incident_id: p.incidentId },
            trackingSettings: {
              clickTracking: { enable: false, enableText: false },
              openTracking: { enable: false },
              subscriptionTracking: { enable: false },
            },
          });
        } catch (e) {
          const err = toDeliveryError(e);
          logger.warn({ outbox_id: row.id, proposal_id: p.id, error: err.message }, 'email not accepted');
          throw err;
        }
        await markMailed(opts.db, row.id, recipient, now());
        sent += 1;
      }
      logger.info({ outbox_id: row.id, proposal_id: p.id, recipients: sent }, 'decision email sent');
      return { status: 'sent', result: { recipients: opts.to.length, sent_now: sent } };
    },
  };
}
