import { context, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Clock, TimerHandle } from '../clock.js';
import type { BatchSettings } from './settings.js';

/** Why spans never reached the collector: the queue was full, or their export failed or timed out. */
export type DropReason = 'queue_full' | 'export_failed';

/**
 * A batch span processor whose every loss is counted. Finished spans wait in a bounded queue
 * (OTEL_BSP_MAX_QUEUE_SIZE); a full queue drops the newest span at once instead of waiting, so a
 * collector that refuses or hangs never slows the work being traced. One export is in flight at a
 * time, of at most OTEL_BSP_MAX_EXPORT_BATCH_SIZE spans, given up after OTEL_BSP_EXPORT_TIMEOUT;
 * a batch waits at most OTEL_BSP_SCHEDULE_DELAY. The SDK's own BatchSpanProcessor drops silently
 * (a diagnostic line), which is why this one exists: `onDrop` feeds sre_trace_spans_dropped_total.
 */
export class BoundedBatchProcessor implements SpanProcessor {
  private queue: ReadableSpan[] = [];
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly exporter: SpanExporter,
    private readonly settings: BatchSettings,
    private readonly clock: Pick<Clock, 'after'>,
    private readonly onDrop: (n: number, reason: DropReason) => void,
  ) {}

  onStart(_span: Span): void {}

  onEnd(span: ReadableSpan): void {
    if (this.closed || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queue.length >= this.settings.maxQueueSize) {
      this.onDrop(1, 'queue_full');
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= this.settings.maxExportBatchSize) this.kick();
    else this.arm();
  }

  /** Exports everything queued now, batch after batch; resolves when the queue is empty or its exports failed. */
  async forceFlush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight) {
      this.kick();
      await this.inFlight;
    }
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    await this.forceFlush();
    this.closed = true;
    this.timer?.cancel();
    await this.exporter.shutdown();
  }

  private arm(): void {
    if (this.timer || this.inFlight) return;
    this.timer = this.clock.after(this.settings.scheduleDelayMs, () => {
      this.timer = undefined;
      this.kick();
    });
  }

  private kick(): void {
    if (this.inFlight || this.queue.length === 0) return;
    this.timer?.cancel();
    this.timer = undefined;
    const batch = this.queue.splice(0, this.settings.maxExportBatchSize);
    this.inFlight = this.send(batch).finally(() => {
      this.inFlight = undefined;
      if (this.queue.length >= this.settings.maxExportBatchSize) this.kick();
      else if (this.queue.length > 0) this.arm();
    });
  }

  /** One export, bounded by the export timeout; its spans are counted as dropped unless it succeeded. */
  private send(batch: ReadableSpan[]): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = (ok: boolean) => {
        if (settled) return;
        settled = true;
        deadline.cancel();
        if (!ok) this.onDrop(batch.length, 'export_failed');
        resolve();
      };
      const deadline = this.clock.after(this.settings.exportTimeoutMs, () => settle(false));
      // The exporter's own HTTP request is not traced (no span about sending spans).
      context.with(suppressTracing(context.active()), () => {
        try {
          this.exporter.export(batch, (r: ExportResult) => settle(r.code === ExportResultCode.SUCCESS));
        } catch {
          settle(false);
        }
      });
    });
  }
}
