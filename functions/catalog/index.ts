export * from './schema.js';
export * from './checks.js';
export * from './loader.js';
