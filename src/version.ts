import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const STRATUS_VERSION: string = require('../package.json').version;
/** The MLflow REST API release this server answers like (reported by /version, as MLflow does). */
export const MLFLOW_API_VERSION = '3.17.2';
