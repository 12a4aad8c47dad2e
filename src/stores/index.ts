/**
 * The store interfaces and the built-in implementations. The conformance suite is published
 * separately (`tessera/conformance`, `./conformance.js`) so that importing the stores never
 * pulls in test code.
 */
export type * from './types.js';
export { createMemoryStores } from './memory/memory-stores.js';
export { openSqliteStores } from './sqlite/sqlite-stores.js';
export type { SqliteStoresOptions } from './sqlite/sqlite-stores.js';
