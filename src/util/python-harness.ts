import path from 'node:path';

/** python/, where Stratus's own Python lives (the scoring harness stratus_scoring, the Spark helpers stratus_spark). */
export const HARNESS = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../../python');
