import { withoutTrailingSlashes } from '../domain/text.js';
import { systemClock, type Clock } from '../clock.js';
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { getProposal } from '../proposals/index.js';
import { PermanentDeliveryError, RetryableDeliveryError, type ChannelAdapter, type DeliveryOutcome, type OutboxRow } from './adapter.js';

/**
 * Webhook channel: a versioned JSON body POSTed to each URL, signed with
 * HMAC-SHA256(secret, timestamp + "." + body) so a receiver can check origin and freshness
 * (docs/channels.md). Idempotency-Key is stable across retries: receivers deduplicate on it.
 */

export const WEBHOOK_VERSION = 1;

export interface WebhookAdapterOptions {
  db: Db;
  urls: string[];
  secret: string;
  publicBaseUrl: string;
  logger: Logger;
  timeoutMs?: number;
  clock?: Clock;
  fetch?: typeof fetch;
}

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

function retryAfterMs(h: string | null): number | undefined {
  if (h === null || !/^\d+$/.test(h.trim())) return undefined;
  return Number(h) * 1000;
}

export function createWebhookAdapter(opts: WebhookAdapterOptions): ChannelAdapter {
  const base = withoutTrailingSlashes(opts.publicBaseUrl);
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now();
  const doFetch = opts.fetch ?? globalThis.fetch;
  const logger = opts.logger.child({ component: 'webhook' });

  return {
    channel: 'webhook',
    async deliver(row: OutboxRow): Promise<DeliveryOutcome> {
      const proposal = row.proposalId ? await getProposal({ db: opts.db, publicBaseUrl: base }, row.proposalId, { past: true }) : undefined;
      if (row.proposalId && !proposal) throw new PermanentDeliveryError(`proposal ${row.proposalId} not found`);
      const delivered = now();
      const body = JSON.stringify({
        version: WEBHOOK_VERSION,
        id: `outbox-${row.id}`,
        kind: row.kind,
        delivered_at: delivered.toISOString(),
        incident_id: row.incidentId,
        proposal: proposal ?? null,
        details: row.payload,
        link: proposal ? proposal.links.console : `${base}/sre`,
      });
      const timestamp = String(Math.floor(delivered.getTime() / 1000));
      const signature = signWebhook(opts.secret, timestamp, body);
      const statuses: number[] = [];
      // Every URL gets it; a retry re-sends to all with the same Idempotency-Key per URL.
      for (const [i, url] of opts.urls.entries()) {
        const key = `outbox-${row.id}-${i}`;
        let res: Response;
        try {
          res = await doFetch(url, {
            method: 'POST',
            redirect: 'manual',
            headers: {
              'content-type': 'application/json',
              'user-agent': 'scutum-sre-agent-webhook/1',
              'x-sre-timestamp': timestamp,
              'x-sre-signature': signature,
              'idempotency-key': key,
            },
            body,
            signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
          });
          await res.arrayBuffer().catch(() => undefined);
        } catch (e) {
          logger.warn({ outbox_id: row.id, url_index: i, error: (e as Error).name }, 'webhook unreachable');
          throw new RetryableDeliveryError(`webhook ${i} unreachable: ${(e as Error).name === 'TimeoutError' ? 'timed out' : 'network error'}`, undefined, { cause: e });
        }
        if (res.status === 429 || res.status >= 500) {
          throw new RetryableDeliveryError(`webhook ${i} answered ${res.status}`, retryAfterMs(res.headers.get('retry-after')));
        }
        if (res.status < 200 || res.status >= 300) throw new PermanentDeliveryError(`webhook ${i} answered ${res.status}`);
        statuses.push(res.status);
      }
      logger.info({ outbox_id: row.id, kind: row.kind, urls: opts.urls.length }, 'webhook delivered');
      return { status: 'sent', result: { statuses } };
    },
  };
}
