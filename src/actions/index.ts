import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { createAdminApiGateway } from './admin-api.js';
import type { Gateway, Pager } from './gateway.js';
import { createLogPager, createPagerDuty } from './pagerduty.js';
import { createSimulatedGateway } from './simulated.js';

export * from './gateway.js';
export { createAdminApiGateway, type AdminApiOptions } from './admin-api.js';
export {
  createSimulatedGateway,
  defaultSimulatedState,
  type SimulatedCall,
  type SimulatedGateway,
  type SimulatedState,
} from './simulated.js';
export { createLogPager, createPagerDuty, NOT_PAGED_UNCONFIGURED, pageOutcome, type LoggedPage, type PageOutcome, type PagerDutyOptions } from './pagerduty.js';
export { observeEffect, type Observed } from './observe.js';

/** The admin-api when ADMIN_API_URL is set, otherwise the in-process simulated gateway. */
export function createGateway(config: { url?: string | undefined; token?: string | undefined }, logger: Logger, clock?: Pick<Clock, 'now'>): Gateway {
  if (config.url) return createAdminApiGateway({ baseUrl: config.url, logger, ...(config.token ? { token: config.token } : {}) });
  return createSimulatedGateway(clock ? { clock } : {});
}

/** PagerDuty when PAGERDUTY_ROUTING_KEY is set, otherwise a pager that logs. */
export function createPager(config: { routingKey?: string | undefined; eventsUrl: string }, logger: Logger): Pager {
  if (config.routingKey) return createPagerDuty({ routingKey: config.routingKey, eventsUrl: config.eventsUrl, logger });
  return createLogPager(logger);
}
