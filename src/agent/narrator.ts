/**
 * The narrator port: one paragraph about an incident, written by a model from the report's facts
 * alone. Optional: without a model configured there is none, and the report says so.
 */

export type NarrativeOutcome = { ok: true; text: string; model: string } | { ok: false; reason: string };

export interface Narrator {
  /** The model that writes, named under the paragraph. */
  readonly model: string;
  /** `facts`: the report's own lines (domain/incident-report.ts narrativeFacts), the only thing the model sees. */
  narrate(facts: string): Promise<NarrativeOutcome>;
}
