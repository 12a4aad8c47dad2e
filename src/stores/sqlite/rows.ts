/** SQLite rows: the shared SQL row types and mappers (see ../sql-rows.ts). */
export * from '../sql-rows.js';
