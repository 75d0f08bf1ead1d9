import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { Logger } from 'pino';
import { verifySlackSignature } from './verify.js';

/** Slack's payloads are small; anything far larger is not Slack. */
const MAX_BODY_BYTES = 1_000_000;

export interface HttpReceiverOptions {
  signingSecret: string;
  logger: Logger;
  now?: () => number;
}

class BodyTooLarge extends Error {}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    size += b.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge('body too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Form bodies: slash commands as fields, interactions as one JSON `payload` field. */
function parseBody(raw: Buffer, contentType: string): Record<string, unknown> {
  const text = raw.toString('utf8');
  if (contentType.includes('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(text);
    const payload = form.get('payload');
    if (payload !== null) return JSON.parse(payload) as Record<string, unknown>;
    return Object.fromEntries(form.entries());
  }
  const v: unknown = JSON.parse(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('body is not an object');
  return v as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent) return;
  if (body === undefined || body === '') {
    res.writeHead(status).end();
  } else if (typeof body === 'string') {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
  } else {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  }
}

/**
 * Bolt receiver for POST /slack/events on the agent's own HTTP server. It verifies the signature
 * over the raw bytes before parsing anything, answers on `ack()` (so within Slack's 3 s while the
 * listener keeps working) and keeps track of the work still running so `idle()` can wait for it.
 */
export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly now: () => number;

  constructor(private readonly opts: HttpReceiverOptions) {
    this.now = opts.now ?? Date.now;
  }

  init(app: App): void {
    this.app = app;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.idle();
  }

  /** Resolves when every request's listeners have finished (after a test, before shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  readonly handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const log = this.opts.logger;
    if (req.method !== 'POST') return send(res, 405, 'POST only');
    let raw: Buffer;
    try {
      raw = await readRaw(req);
    } catch (e) {
      return send(res, e instanceof BodyTooLarge ? 413 : 400, 'unreadable body');
    }
    const verdict = verifySlackSignature({
      signingSecret: this.opts.signingSecret,
      signature: header(req, 'x-slack-signature'),
      timestamp: header(req, 'x-slack-request-timestamp'),
      rawBody: raw,
      nowMs: this.now(),
    });
    if (!verdict.ok) {
      log.warn({ reason: verdict.reason }, 'slack request refused');
      return send(res, 401, 'invalid request signature');
    }
    let body: Record<string, unknown>;
    try {
      body = parseBody(raw, header(req, 'content-type') ?? '');
    } catch {
      return send(res, 400, 'malformed body');
    }
    if (body.ssl_check) return send(res, 200);
    if (body.type === 'url_verification') return send(res, 200, { challenge: body.challenge });
    if (!this.app) return send(res, 503, 'not ready');

    let acked = false;
    let answered!: () => void;
    const answeredP = new Promise<void>((r) => (answered = r));
    const ack = async (response?: unknown): Promise<void> => {
      if (acked) return;
      acked = true;
      send(res, 200, response);
      answered();
    };
    const retry = header(req, 'x-slack-retry-num');
    const event: ReceiverEvent = { body, ack };
    if (retry !== undefined && /^\d+$/.test(retry)) event.retryNum = Number(retry);
    const reason = header(req, 'x-slack-retry-reason');
    if (reason !== undefined) event.retryReason = reason;

    const work: Promise<void> = this.app
      .processEvent(event)
      .catch((e: unknown) => {
        log.error({ err: e }, 'slack listener failed');
      })
      .finally(async () => {
        this.inflight.delete(work);
        // Nobody acknowledged (no listener matched): Slack still wants its 200.
        if (!acked) await ack();
      });
    this.inflight.add(work);
    // Return once Slack has its answer; the listener's work goes on (idle() waits for it).
    await Promise.race([answeredP, work]);
  };
}
