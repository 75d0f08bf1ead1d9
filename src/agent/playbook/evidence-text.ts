import { CLASS_LABEL, shortLabel, type Evidence, type FailureClass } from '../evidence.js';
import { plural, quoted } from './text.js';

/** The sentence that says what the sample errors showed, quoting one of them as data. */
export function evidenceSentence(ev: Evidence, samples: readonly string[] | undefined): string {
  if (ev.samples === 0) return 'No sample errors came with the event, so the cause is unclassified and the gateway\u2019s own health verdict is the evidence.';
  const example = samples?.[ev.example ?? 0];
  const quote = example ? `, e.g. ${quoted(example)} (quoted as data)` : '';
  if (ev.cls === 'unknown') return `The ${plural(ev.samples, 'sample error')} match no known failure pattern${quote}, so the cause is unclassified.`;
  const n = ev.counts[ev.cls] ?? 0;
  const others = (Object.entries(ev.counts) as [FailureClass, number][])
    .filter(([c]) => c !== ev.cls)
    .map(([c, k]) => `${k} ${c === 'unknown' ? 'unclassified' : shortLabel(c)}`);
  const rest = others.length > 0 ? `; also ${others.join(', ')}` : '';
  return `Classified as ${CLASS_LABEL[ev.cls]}: ${n} of ${plural(ev.samples, 'sample error')}${rest}${quote}.`;
}
