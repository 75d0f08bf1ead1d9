/**
 * Progress of long command-line work, drawn on one terminal line of stderr (carriage return, erase
 * line) at a bounded pace. Off a terminal it draws nothing, so piped output stays machine-readable.
 */

export interface Progress {
  /** Sets the count done so far (and the total when it became known); no count: work of unknown progress, only the time passing is shown. */
  update(done?: number, total?: number): void;
  /** Clears the line; on a terminal writes the summary in its place. */
  finish(summary?: string): void;
}

export interface ProgressOptions {
  label: string;
  /** What is counted: "events", "rows", "lines". */
  unit: string;
  total?: number;
  tty: boolean;
  write: (s: string) => void;
  now?: () => number;
  /** Least time between two redraws. */
  everyMs?: number;
}

const CLEAR = '\r\u001b[2K';

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function createProgress(opts: ProgressOptions): Progress {
  const now = opts.now ?? (() => performance.now());
  const every = opts.everyMs ?? 200;
  const started = now();
  let total = opts.total;
  let last = -Infinity;
  let drawn = false;

  function line(done: number | undefined): string {
    const seconds = Math.max((now() - started) / 1000, 1e-3);
    if (done === undefined) return `${opts.label}${total !== undefined ? `: ${formatCount(total)} ${opts.unit}` : ''} · ${formatSeconds(seconds)}`;
    const rate = done / seconds;
    const parts = [`${opts.label}: ${formatCount(done)}${total !== undefined ? ` of ${formatCount(total)}` : ''} ${opts.unit}`];
    if (total) parts.push(`${Math.min(100, Math.floor((done / total) * 100))} %`);
    if (done > 0) parts.push(`${formatCount(Math.round(rate))}/s`);
    if (total && done > 0 && done < total) parts.push(`about ${formatSeconds((total - done) / rate)} left`);
    else parts.push(`${formatSeconds(seconds)}`);
    return parts.join(' · ');
  }

  return {
    update(done, t) {
      if (t !== undefined) total = t;
      if (!opts.tty) return;
      const at = now();
      if (at - last < every) return;
      last = at;
      drawn = true;
      opts.write(`${CLEAR}${line(done)}`);
    },
    finish(summary) {
      if (!opts.tty) return;
      if (drawn) opts.write(CLEAR);
      if (summary) opts.write(`${summary}\n`);
    },
  };
}
