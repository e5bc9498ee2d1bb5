/**
 * The environment an MLflow model is scored in when a deployment names none: as Azure ML does, the
 * conda file the model's MLmodel names (`flavors.python_function.env.conda`, or `env:` in older
 * models), with its Python version and pins; `requirements.txt` only when there is no conda file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { readCondaSpec, type PythonEnvSpec } from './conda.ts';

/** The first release of each package built for NumPy 2: older ones break on it ("numpy.dtype size changed"). */
const FIRST_FOR_NUMPY_2: Record<string, string> = {
  'scikit-learn': '1.4.2', pandas: '2.2.2', scipy: '1.13.0', pyarrow: '16.0.0', matplotlib: '3.8.4', xgboost: '2.1.0', lightgbm: '4.4.0', statsmodels: '0.14.2',
};

export function mlflowModelEnvironment(modelFolder: string): PythonEnvSpec {
  const conda = condaFileOf(modelFolder);
  let spec: PythonEnvSpec;
  if (conda) spec = readCondaSpec(fs.readFileSync(conda, 'utf8'), `the model's ${path.basename(conda)}`);
  else {
    const file = path.join(modelFolder, 'requirements.txt');
    const requirements = fs.existsSync(file)
      ? fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('-'))
      : [];
    spec = { requirements, warnings: [] };
  }
  const requirements = [...spec.requirements];
  if (!requirements.some((r) => /^mlflow\b/i.test(r))) requirements.unshift('mlflow');
  const warnings = [...spec.warnings];
  const old = oldForNumpy2(requirements);
  if (old && !requirements.some((r) => /^numpy\b/i.test(r))) {
    requirements.push('numpy<2');
    warnings.push(`${old} was built before NumPy 2 and the model does not pin numpy: numpy<2 is installed with it.`);
  }
  return { ...spec, requirements, warnings };
}

/** The conda file MLmodel names, if it is there. */
function condaFileOf(modelFolder: string): string | undefined {
  let env: unknown;
  try {
    const mlmodel = parse(fs.readFileSync(path.join(modelFolder, 'MLmodel'), 'utf8')) as { flavors?: { python_function?: { env?: unknown } } };
    env = mlmodel?.flavors?.python_function?.env;
  } catch {
    return undefined;
  }
  const name = typeof env === 'string' ? env : env && typeof env === 'object' ? (env as { conda?: unknown }).conda : undefined;
  if (typeof name !== 'string') return undefined;
  const file = path.resolve(modelFolder, name);
  return file.startsWith(path.resolve(modelFolder) + path.sep) && fs.existsSync(file) ? file : undefined;
}

/** The first `name==version` pin older than that package's first NumPy 2 build. */
function oldForNumpy2(requirements: string[]): string | undefined {
  for (const r of requirements) {
    const m = /^([A-Za-z0-9_.-]+)\s*==\s*([\d.]+)/.exec(r);
    const since = m && FIRST_FOR_NUMPY_2[m[1].toLowerCase().replace(/_/g, '-')];
    if (since && compareVersions(m[2], since) < 0) return r;
  }
  return undefined;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}
