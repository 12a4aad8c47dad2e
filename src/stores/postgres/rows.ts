/** PostgreSQL rows: the shared SQL row types and mappers (see ../sql-rows.ts). */
export * from '../sql-rows.js';

/** True when an INSERT/UPDATE/DELETE changed exactly one row. */
export function changedOne(result: { readonly rowCount: number | null }): boolean {
  return result.rowCount === 1;
}
