/**
 * Reads a conda environment file the way Stratus builds it: as a Python virtual environment.
 * `pip:` entries go to pip as written; conda dependencies that are ordinary Python packages
 * go to pip at the same pins (`numpy=2.3.1` → `numpy==2.3.1`); `python` picks the
 * interpreter; `pip` itself is skipped; packages with no pip equivalent are named in a warning.
 */
import { parse } from 'yaml';
import { invalid } from '../util/errors.ts';

export interface PythonEnvSpec {
  python?: string;
  requirements: string[];
  warnings: string[];
}

// Conda packages that are system libraries or toolchains, not pip packages.
const CONDA_ONLY = new Set([
  'cudatoolkit', 'cudnn', 'mkl', 'mkl-service', 'mkl_fft', 'mkl_random', 'openssl', 'ca-certificates', 'certifi-conda',
  'libgcc-ng', 'libstdcxx-ng', 'libgomp', 'openblas', 'blas', 'libblas', 'libcblas', 'liblapack', 'tk', 'xz', 'zlib',
  'readline', 'sqlite', 'ncurses', 'libffi', 'bzip2', 'nccl', 'gxx_linux-64', 'gcc_linux-64', 'r-base', 'nodejs', 'git',
]);

/** `numpy=2.3.1` → `numpy==2.3.1`; `numpy>=2` unchanged; `numpy=2.3` → `numpy==2.3.*`. */
export function condaToPip(dep: string): string {
  const m = /^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$/.exec(dep.trim().replace(/^[\w-]+::/, ''));
  if (!m) return dep;
  const [, name, rest] = m;
  if (!rest) return name;
  const single = /^=([^=<>!].*)$/.exec(rest);
  if (single) {
    const version = single[1].split('=')[0]; // drop a conda build string: numpy=1.26.4=py311h...
    return /^\d+(\.\d+)?$/.test(version) ? `${name}==${version}.*` : `${name}==${version}`;
  }
  return `${name}${rest}`;
}

export function readCondaSpec(text: string, source = 'conda file'): PythonEnvSpec {
  let doc: any;
  try {
    doc = parse(text);
  } catch (err) {
    throw invalid(`Invalid ${source}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object') throw invalid(`Invalid ${source}: expected a mapping with 'dependencies:'.`);
  const spec: PythonEnvSpec = { requirements: [], warnings: [] };
  if (doc.channels) spec.warnings.push(`channels ${JSON.stringify(doc.channels)} are not used: packages come from pip.`);
  for (const dep of doc.dependencies ?? []) {
    if (dep && typeof dep === 'object' && Array.isArray(dep.pip)) {
      spec.requirements.push(...dep.pip.map(String));
      continue;
    }
    const text = String(dep).trim();
    const name = text.replace(/^[\w-]+::/, '').split(/[=<>!\s]/)[0].toLowerCase();
    if (name === 'python') {
      const v = /^python\s*[=<>!~]*=?\s*(\d+\.\d+)/.exec(text.replace(/^[\w-]+::/, ''));
      if (v) spec.python = v[1];
      continue;
    }
    if (name === 'pip' || name === 'setuptools' || name === 'wheel') continue;
    if (CONDA_ONLY.has(name) || name.startsWith('lib') || name.startsWith('_')) {
      spec.warnings.push(`'${text}' is a conda package with no pip equivalent and is skipped.`);
      continue;
    }
    spec.requirements.push(condaToPip(text));
  }
  return spec;
}
