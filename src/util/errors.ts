/**
 * Domain errors carry MLflow's stable error codes; interfaces map them to their own shapes
 * (HTTP status plus `{error_code, message}` for the REST APIs, an exit code for the CLI).
 */
export type ErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'BAD_REQUEST'
  | 'ENDPOINT_NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_IMPLEMENTED'
  | 'INTERNAL_ERROR'
  | 'RESOURCE_EXHAUSTED'
  | 'TEMPORARILY_UNAVAILABLE';

/** MLflow's own error-code → HTTP status table (mlflow/exceptions.py). */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  BAD_REQUEST: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  INVALID_STATE: 500,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_IMPLEMENTED: 501,
  INTERNAL_ERROR: 500,
  RESOURCE_EXHAUSTED: 429,
  TEMPORARILY_UNAVAILABLE: 503,
};

export class StratusError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'StratusError';
  }
}

export const invalid = (message: string) => new StratusError('INVALID_PARAMETER_VALUE', message);
export const notFound = (message: string) => new StratusError('RESOURCE_DOES_NOT_EXIST', message);
export const alreadyExists = (message: string) => new StratusError('RESOURCE_ALREADY_EXISTS', message);

/** True when a database error is a unique or primary-key violation (SQLite or PostgreSQL). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
