/**
 * The Python a compute instance runs Jupyter and its Python 3 kernel in. Pinned, like Azure ML's
 * curated environments, so an instance created today and one created next month behave alike:
 * the Jupyter server and JupyterLab, ipykernel, nbformat and papermill (notebooks as jobs), the
 * MLflow client matching this server's API, and the usual data-science packages. An instance
 * given a registered environment gets that environment plus the Jupyter packages.
 */
import { MLFLOW_API_VERSION } from '../version.ts';
import type { PythonEnvSpec } from './conda.ts';

/** The Python kernel, also in the Spark environment (notebooks attached to a cluster run in it). */
export const IPYKERNEL = 'ipykernel==7.4.0';
export const PAPERMILL = 'papermill==2.7.0';
export const JUPYTER_PACKAGES = ['jupyter-server==2.21.1', 'jupyterlab==4.6.6', 'notebook==7.6.5', IPYKERNEL, 'nbformat==5.11.1', PAPERMILL, 'ipywidgets==8.1.9'];

export const NOTEBOOK_ENVIRONMENT: PythonEnvSpec = {
  requirements: [
    ...JUPYTER_PACKAGES,
    `mlflow==${MLFLOW_API_VERSION}`,
    'scikit-learn==1.9.1',
    'pandas==3.1.1',
    'numpy==2.4.6',
    'matplotlib==3.11.2',
  ],
  warnings: [],
};

/** A registered environment made fit to host Jupyter: its own packages plus the Jupyter ones it lacks. */
export function withJupyter(spec: PythonEnvSpec): PythonEnvSpec {
  const has = (pkg: string) => spec.requirements.some((r) => r.toLowerCase().replace(/_/g, '-').startsWith(pkg));
  const missing = JUPYTER_PACKAGES.filter((p) => !has(p.split('==')[0]));
  return { ...spec, requirements: [...spec.requirements, ...missing] };
}
