import pkg from '../package.json' with { type: 'json' };

export const STRATUS_VERSION: string = pkg.version;
/** The MLflow REST API release this server answers like (reported by /version, as MLflow does). */
export const MLFLOW_API_VERSION = '3.17.2';
