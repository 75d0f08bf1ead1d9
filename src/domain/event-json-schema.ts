import { z } from 'zod';
import { EVENT_TYPES, PlatformEvent, type EventType } from './events.js';

/**
 * JSON Schema (draft 2020-12) for each event, generated from the zod schemas that parse them, so
 * docs/schemas/ and the OpenAPI document can never say something the parser does not do.
 */

/** A URN, not a URL: the schemas live in the repository (docs/schemas/), not on a web site. */
export const SCHEMA_ID_PREFIX = 'urn:scutum:sre-agent:event:';

export type JsonSchema = Record<string, unknown>;

/** The envelope with `type` fixed to one event type: what `POST /v1/events` accepts for it. */
export function eventJsonSchema(type: EventType): JsonSchema {
  const option = PlatformEvent.options.find((o) => o.shape.type.value === type);
  if (!option) throw new Error(`no schema for event type ${type}`);
  // io: 'input' describes what is accepted: unknown keys are stripped, not refused.
  const generated = z.toJSONSchema(option, { io: 'input', target: 'draft-2020-12' });
  return { $schema: generated.$schema, $id: `${SCHEMA_ID_PREFIX}${type}`, title: type, description: `A ${type} event envelope as the SRE agent accepts it (stream, HTTP and files).`, ...withoutSchemaKey(generated) };
}

export function eventJsonSchemas(): Record<EventType, JsonSchema> {
  return Object.fromEntries(EVENT_TYPES.map((t) => [t, eventJsonSchema(t)])) as Record<EventType, JsonSchema>;
}

/** The schema body without `$schema`/`$id`, for embedding (OpenAPI components). */
export function withoutSchemaKey(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** The files `npm run docs:schemas` writes into docs/schemas/, by name, as text. */
export function eventSchemaFiles(): Record<string, string> {
  return Object.fromEntries(Object.entries(eventJsonSchemas()).map(([type, schema]) => [`${type}.schema.json`, `${JSON.stringify(schema, null, 2)}\n`]));
}
