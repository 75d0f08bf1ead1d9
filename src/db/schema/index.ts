export * from './incidents.js';
export * from './proposals.js';
export * from './work.js';
export * from './audit.js';
export * from './links.js';
export * from './slack.js';
export * from './safety.js';
export * from './approvals.js';
