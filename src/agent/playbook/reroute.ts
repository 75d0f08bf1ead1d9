import type { Plan } from './plan.js';
import { clip, REASON_MAX } from './text.js';

/** Re-routing one model group: the narrow, reversible change (routing back undoes it). */
export function reroutePlan(o: { group: string; from: string; to: string; reason: string; sentences: string[]; rule: string; facts: Record<string, unknown> }): Plan {
  return {
    action: 'reroute_model_group',
    params: { model_group: o.group, provider: o.to, previous_provider: o.from, reason: clip(o.reason, REASON_MAX) },
    sentences: o.sentences,
    rule: o.rule,
    facts: { ...o.facts, reroute_to: o.to },
  };
}
