/** A piece of SQL with its parameters. */
export interface SqlPart { sql: string; params: (string | number)[] }

/**
 * A condition a caller adds to a listing's WHERE on the column that holds each row's id — e.g.
 * only what a user may read — so the database drops the rows and pages stay full and exact.
 */
export type RowFilter = (idColumn: string) => SqlPart;
