import { Writable } from 'node:stream';
import type { CliIo } from '../../src/cli.js';

/** A CLI io whose stdout and stderr are kept in memory; `tty` decides whether progress is drawn. */
export function memoryIo(env: Record<string, string>, tty: boolean): CliIo & { stdoutText(): string; stderrText(): string } {
  const sink = () => {
    let text = '';
    const stream = new Writable({
      write(chunk, _enc, cb) {
        text += String(chunk);
        cb();
      },
    });
    return { stream, text: () => text };
  };
  const o = sink();
  const e = sink();
  return { stdout: o.stream, stderr: e.stream, tty, env, stdoutText: o.text, stderrText: e.text };
}
