/**
 * Built-in environments standing in for Azure ML's curated ones, so samples that name them run
 * unchanged. The MLflow pin matches the server's API version so jobs log with a client the
 * workspace is tested against.
 */
import { MLFLOW_API_VERSION } from '../version.ts';
import type { PythonEnvSpec } from './conda.ts';
import type { CuratedName } from '../specs/command-job.ts';
import { IPYKERNEL, NOTEBOOK_ENVIRONMENT, PAPERMILL } from './notebook.ts';

export const CURATED: Record<CuratedName, PythonEnvSpec> = {
  // Azure's published AzureML-sklearn-1.5 (azureml-assets, conda_dependencies.yaml), where Python 3.11 allows: see CURATED_ABOUT.
  'sklearn-1.5': {
    requirements: [
      'scikit-learn~=1.5.0', 'pandas~=1.5.3', 'scipy~=1.10.0', 'numpy~=1.23.5', 'joblib~=1.2.0', 'matplotlib~=3.6.0', 'psutil~=5.9.0',
      'tqdm~=4.66.3', 'ipykernel~=6.0', 'debugpy~=1.6.3', `mlflow==${MLFLOW_API_VERSION}`,
    ],
    warnings: [],
  },
  // Azure's AzureML-sklearn-1.0 (…-ubuntu20.04-py38-cpu in older samples), as far as Python 3.11 allows.
  'sklearn-1.0': {
    requirements: [
      'scikit-learn~=1.1.3', 'pandas~=1.5.3', 'scipy~=1.10.0', 'numpy~=1.23.5', 'joblib~=1.2.0', 'matplotlib~=3.6.0', 'psutil~=5.9.0',
      'tqdm~=4.66.3', 'ipykernel~=6.0', 'debugpy~=1.6.3', `mlflow==${MLFLOW_API_VERSION}`,
    ],
    warnings: [],
  },
  // Azure's AzureML-lightgbm-3.3 (which, as published, installs LightGBM 4.6 or later).
  'lightgbm-3.3': {
    requirements: [
      'lightgbm>=4.6.0', 'xgboost~=1.7.6', 'scikit-learn~=1.5.1', 'pandas~=1.5.3', 'scipy~=1.10.0', 'numpy~=1.23.5', 'distributed~=2021.10.0',
      'matplotlib~=3.6.0', 'psutil~=5.9.0', 'tqdm~=4.66.3', 'ipykernel~=6.0', 'debugpy~=1.6.3', `mlflow==${MLFLOW_API_VERSION}`,
    ],
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

/** When the curated definitions were last compared with Azure's published ones (their creation time in listings). */
export const CURATED_AS_OF = '2026-12-01T00:00:00.000Z';

/** What each curated environment is, by the name Azure (or Stratus) gives it, and where it differs from Azure's published definition. */
export interface CuratedAbout {
  /** The name `environment list` shows and `environment show -n` takes (any spelling curatedName() reads works too). */
  displayName: string;
  description: string;
  differences: string[];
}

export const CURATED_ABOUT: Record<CuratedName, CuratedAbout> = {
  'sklearn-1.5': {
    displayName: 'AzureML-sklearn-1.5',
    description: 'Azure ML\'s curated scikit-learn 1.5 environment (CPU) with its published pins: pandas~=1.5.3, scipy~=1.10.0, scikit-learn~=1.5.0, joblib~=1.2.0',
    differences: [
      'Python 3.11 (this host\'s) where Azure\'s uses Python 3.10.',
      'numpy~=1.23.5 where Azure pins numpy~=1.22.0, matplotlib~=3.6.0 for ~=3.5.0 and psutil~=5.9.0 for ~=5.8.0: those versions were never built for Python 3.11.',
      'The azureml-* packages (core, defaults, mlflow, telemetry, inference-server-http) are left out: Stratus\'s MLflow client and scoring server take their place.',
      'scikit-learn-intelex, tensorboard, torch-tb-profiler and py-spy are left out (Intel-specific or profiling tools, large, unused by the samples).',
    ],
  },
  'sklearn-1.0': {
    displayName: 'AzureML-sklearn-1.0',
    description: 'Azure ML\'s curated scikit-learn 1.0 environment (CPU; also named AzureML-sklearn-1.0-ubuntu20.04-py38-cpu), as far as Python 3.11 allows',
    differences: [
      'Python 3.11 (this host\'s) where Azure\'s uses Python 3.9.',
      'scikit-learn~=1.1.3 where Azure pins ~=1.0.0 and pandas~=1.5.3 where it pins ~=1.3.0: scikit-learn 1.0 and pandas 1.3 were never built for Python 3.11 (a model pickled by scikit-learn 1.0 loads in 1.1 with a version warning).',
      'numpy~=1.23.5 for ~=1.22.0, matplotlib~=3.6.0 for ~=3.5.0, psutil~=5.9.0 for ~=5.8.0: the same reason.',
      'The azureml-* packages, tensorboard, torch-tb-profiler, py-spy and the pinned security updates of requests/cryptography are left out: Stratus\'s MLflow client takes the azureml packages\' place.',
    ],
  },
  'lightgbm-3.3': {
    displayName: 'AzureML-lightgbm-3.3',
    description: 'Azure ML\'s curated LightGBM environment (CPU): lightgbm>=4.6.0, xgboost~=1.7.6, scikit-learn~=1.5.1, pandas~=1.5.3, dask distributed',
    differences: [
      'Python 3.11 (this host\'s) where Azure\'s uses Python 3.10.',
      'numpy~=1.23.5 for ~=1.22.0, matplotlib~=3.6.0 for ~=3.5.0, psutil~=5.9.0 for ~=5.8.0: those versions were never built for Python 3.11.',
      'The azureml-* packages, adlfs (Azure Data Lake), tensorboard, torch-tb-profiler and py-spy are left out.',
    ],
  },
  'stratus-notebook': { displayName: 'stratus-notebook', description: 'Stratus\'s own: Jupyter for compute instances, papermill for notebook jobs', differences: [] },
  'stratus-spark': { displayName: 'stratus-spark', description: 'Stratus\'s own: PySpark, the MLflow client and the kernel of notebooks attached to a Spark cluster', differences: [] },
  'stratus-sql-python': { displayName: 'stratus-sql-python', description: 'Stratus\'s own: where sp_execute_external_script runs Python', differences: [] },
  'stratus-designer': { displayName: 'stratus-designer', description: 'Stratus\'s own: where the designer\'s built-in modules run', differences: [] },
  'stratus-automl': { displayName: 'stratus-automl', description: 'Stratus\'s own: where AutoML jobs search (FLAML)', differences: [] },
};
