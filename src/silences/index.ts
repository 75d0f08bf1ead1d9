/**
 * Silences and maintenance windows (issue 20): the verbs every surface calls, what a silence does
 * to the pipeline (ingest, propose, the gate) and the job that releases held incidents.
 */
export type { SilenceDeps } from './deps.js';
export { activeSilences, coverOf, incidentCover, type ActiveSilence } from './active.js';
export { createSilence, endSilence, getSilence, listSilences, type CreateSilenceInput, type SilenceView } from './verbs.js';
export { holdIfSilenced, releaseSilenced, silenceEndJob, silenceStoredEvents, type IncidentSilence } from './effect.js';
