/** The DuckDB table function that reads a table file, by its extension (the data preview and the SQL engine share it). */
export const TABLE_READERS: Record<string, string> = { '.csv': 'read_csv_auto', '.tsv': 'read_csv_auto', '.txt': 'read_csv_auto', '.parquet': 'read_parquet', '.jsonl': 'read_json_auto', '.json': 'read_json_auto' };
