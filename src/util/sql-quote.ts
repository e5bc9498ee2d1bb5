/** Quoting for SQL text Stratus writes itself (DuckDB and PostgreSQL both quote this way). */
export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const quoteString = (s: string) => `'${s.replace(/'/g, "''")}'`;
