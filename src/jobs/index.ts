/** Background work (ARCHITECTURE.md, jobs/): one leased queue, the job catalog, lanes, the pool and the loops. */
export { createCatalog, type Catalog, type CatalogEntry, type JobContext, type JobHandler, type JobHandlers } from './catalog.js';
export { completeJob, enqueue, job, type JobSpec } from './enqueue.js';
export { JOB_KINDS, LANES, isJobKind, kindsOfLane, type JobKindName, type Lane, type PayloadOf } from './kinds.js';
export { createLanes, type JobLane } from './lanes.js';
export { DEFAULT_LEASE_MS, releaseOwnLeases, type LeaseCounters, type QueueName } from './lease.js';
export { enqueueNotification, enqueueNotifications } from './outbox.js';
export { createPool, type JobPool, type PoolOptions } from './pool.js';
export { createLeasedQueue, type LeasedQueue, type QueueRow } from './queue.js';
export { createJobRunner, type JobDeps, type JobRow, type JobRunner } from './runner.js';
export { createWorkers, type OutboxWorker, type Workers } from './workers.js';
