export * from './pull-budget.js';
export * from './credential-pool.js';
export * from './recheck.js';
