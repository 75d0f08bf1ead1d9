import type { ProviderUnhealthyData } from '../../domain/events.js';
import { shortLabel, type Evidence } from '../evidence.js';
import { pagePlan, type Plan, type Severity } from './plan.js';
import { pct, plain } from './text.js';

/**
 * Failures the gateway or its clients cause (rejected keys, guardrail blocks, bad requests): moving
 * the provider's traffic fixes none of them, so the playbook says what it saw and pages with the
 * classification. The narrow fixes (a key, a rule, a client) are outside the action library or a human's call.
 */
export function notTheProvider(e: ProviderUnhealthyData, ev: Evidence, sentences: string[], facts: Record<string, unknown>): Plan {
  const provider = plain(e.provider, 100);
  const failing = `${pct(e.error_rate)} of requests`;
  let severity: Severity;
  let why: string;
  switch (ev.cls) {
    case 'authentication':
      severity = e.error_rate >= 0.5 ? 'critical' : 'error';
      why = `${provider} is rejecting the gateway's credentials: a revoked or invalid key does not heal, so a circuit-break would restore onto the same key and a re-route would only hide which key needs restoring or rotating.`;
      break;
    case 'guardrail_block':
      severity = e.error_rate >= 0.5 ? 'error' : 'warning';
      why = `The requests are refused by the gateway's own guardrails before ${provider} answers: breaking or re-routing the provider sends them into the same rule, and disabling a guardrail rule (baseline risk 60) is a human's decision about what that rule protects.`;
      break;
    case 'content_filter':
      severity = e.error_rate >= 0.25 ? 'warning' : 'info';
      why = `${provider}'s own content filter refused these requests for what they contain: breaking or re-routing ${provider} would fix none of them, and sending them to another provider to get past a safety filter is not a remedy; the teams sending them need to know.`;
      break;
    case 'context_length':
      severity = e.error_rate >= 0.25 ? 'warning' : 'info';
      why = `The prompts are longer than the model accepts: breaking or re-routing ${provider} would move healthy traffic and fix none of them, as the same prompt fails on any provider of that model; the clients must truncate them or use a model with a larger context.`;
      break;
    default:
      severity = e.error_rate >= 0.25 ? 'warning' : 'info';
      why = `The requests themselves are rejected as invalid, which no provider would accept either: breaking or re-routing ${provider} would move healthy traffic and fix none of them; the clients sending them need to be told.`;
  }
  const label = shortLabel(ev.cls);
  sentences.push(
    why,
    `Paging on-call (${severity}) with the classification (${label}) puts a human on the real cause; no gateway change in the action library addresses it.`,
    `If nothing is done, ${failing} to ${provider} keep failing for this reason.`,
  );
  return pagePlan({
    severity,
    summary: `[sre-agent] provider ${provider} failing ${failing}: ${label}, not a provider outage`,
    reason: `${provider} failures classified as ${label}; moving its traffic would not fix them`,
    sentences,
    rule: `provider.unhealthy:${ev.cls}`,
    facts,
  });
}
