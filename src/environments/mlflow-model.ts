/** An MLflow model's own pins (requirements.txt, as MLflow writes it) become the environment it is scored in. */
import fs from 'node:fs';
import path from 'node:path';
import type { PythonEnvSpec } from './conda.ts';

export function mlflowModelEnvironment(modelFolder: string): PythonEnvSpec {
  const file = path.join(modelFolder, 'requirements.txt');
  const requirements = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('-'))
    : [];
  if (!requirements.some((r) => /^mlflow\b/i.test(r))) requirements.unshift('mlflow');
  return { requirements, warnings: [] };
}
