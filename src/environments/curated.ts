/**
 * Built-in environments standing in for Azure ML's curated ones, so samples that name them run
 * unchanged. The MLflow pin matches the server's API version so jobs log with a client the
 * workspace is tested against.
 */
import { MLFLOW_API_VERSION } from '../version.ts';
import type { PythonEnvSpec } from './conda.ts';
import { IPYKERNEL, NOTEBOOK_ENVIRONMENT, PAPERMILL } from './notebook.ts';

export const CURATED: Record<string, PythonEnvSpec> = {
  'sklearn-1.5': {
    requirements: ['scikit-learn~=1.5.0', 'pandas', 'numpy', `mlflow==${MLFLOW_API_VERSION}`, 'joblib'],
    warnings: [],
  },
  /** Stratus's own: what compute instances run Jupyter in, and what notebook jobs run papermill in. */
  'stratus-notebook': NOTEBOOK_ENVIRONMENT,
  /** Stratus's own: PySpark (Spark's jars and spark-submit), the MLflow client, the kernel of notebooks attached to a cluster, papermill for notebook tasks. */
  'stratus-spark': {
    requirements: ['pyspark==4.3.0', `mlflow==${MLFLOW_API_VERSION}`, 'pandas==3.1.1', 'numpy==2.4.6', 'pyarrow==25.0.1', IPYKERNEL, PAPERMILL],
    warnings: [],
  },
  /** Stratus's own: where sp_execute_external_script's Python runs (pandas in and out, scikit-learn, the MLflow client). */
  'stratus-sql-python': {
    requirements: ['pandas==3.1.1', 'numpy==2.4.6', 'pyarrow==25.0.1', 'scikit-learn==1.9.1', `mlflow==${MLFLOW_API_VERSION}`],
    warnings: [],
  },
  /** Stratus's own: where the designer's built-in modules run (pandas, scikit-learn, LightGBM, imbalanced-learn for SMOTE, DuckDB for Apply SQL Transformation, the MLflow client). */
  'stratus-designer': {
    requirements: ['pandas==3.1.1', 'numpy==2.4.6', 'pyarrow==25.0.1', 'scikit-learn==1.9.1', 'lightgbm==4.7.0', 'imbalanced-learn==0.14.2', 'duckdb==1.5.6', `mlflow==${MLFLOW_API_VERSION}`],
    warnings: [],
  },
  /** Stratus's own: where AutoML jobs search (FLAML with LightGBM and XGBoost's CPU build, statsmodels for forecasting, scikit-learn, the MLflow client). */
  'stratus-automl': {
    requirements: ['flaml==2.8.0', 'lightgbm==4.7.0', 'xgboost-cpu==2.1.4', 'scikit-learn==1.9.1', 'scipy==1.17.1', 'pandas==3.1.1', 'numpy==2.4.6', 'pyarrow==25.0.1', 'pyyaml==6.0.4', 'statsmodels==0.15.0', `mlflow==${MLFLOW_API_VERSION}`],
    warnings: [],
  },
};
