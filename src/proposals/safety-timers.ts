import { propose } from './propose.js';
import type { ServiceDeps } from './types.js';
import { VERIFY_TIMER_HANDLERS } from './verify.js';

/** The durable work of acting safely: verification and what follows it, and the fresh proposal after a stale one. */
export const SAFETY_TIMER_HANDLERS: Record<string, (deps: ServiceDeps, payload: Record<string, unknown>) => Promise<void>> = {
  ...VERIFY_TIMER_HANDLERS,
  refresh: async (deps, p) => {
    await propose(deps, { incidentId: String(p.incident_id), replaces: String(p.replaces) });
  },
};
