// Workflow entry point for the worker's bundle: only workflow code is exported here.
export { tableSync } from './table-sync.js';
export { reconcileSchedule } from './reconcile-schedule.js';
export { verifyTables } from './verify.js';
export { syncWorkerPresence } from './presence.js';
export { storageSync } from './storage-sync.js';
