/** Turns an environment reference from YAML into the Python spec to build (undefined: host Python). */
import type { z } from 'zod';
import type { EnvironmentRef as EnvironmentRefSchema } from '../specs/jobs.ts';
import { notFound, StratusError } from '../util/errors.ts';
import { readCondaSpec, type PythonEnvSpec } from './conda.ts';
import { CURATED } from './curated.ts';

type EnvironmentRef = z.infer<typeof EnvironmentRefSchema>;

/** Where registered environments are looked up (the environment asset service): passed in, so this layer does not reach up. */
export interface RegisteredEnvironments {
  pythonSpec(name: string, version?: string, label?: string): Promise<PythonEnvSpec | undefined>;
}

export function environmentLabel(env: EnvironmentRef): string {
  switch (env.kind) {
    // Azure's curated names carry the AzureML- prefix; Stratus's own (stratus-…) do not.
    case 'curated': return env.name.startsWith('stratus-') ? `azureml:${env.name}@latest` : `azureml:AzureML-${env.name}@latest`;
    case 'registered': return `azureml:${env.name}${env.version ? `:${env.version}` : `@${env.label ?? 'latest'}`}`;
    case 'inline': return env.image ? `inline (${env.image} + conda file)` : 'inline (conda file)';
    case 'host': return env.image ? `host Python (image ${env.image} not run)` : 'host Python';
  }
}


export async function resolveEnvironment(env: EnvironmentRef, registered: RegisteredEnvironments): Promise<PythonEnvSpec | undefined> {
  switch (env.kind) {
    case 'host': return undefined;
    case 'curated': {
      const spec = (CURATED as Record<string, PythonEnvSpec | undefined>)[env.name];
      if (!spec) throw notFound(`Curated environment '${env.name}' is not available. Available: ${Object.keys(CURATED).join(', ')}.`);
      return spec;
    }
    case 'inline': return readCondaSpec(env.conda);
    case 'registered':
      return registered.pythonSpec(env.name, env.version, env.label).catch((err: StratusError) => {
        if (err.code === 'RESOURCE_DOES_NOT_EXIST') {
          throw notFound(`Environment '${environmentLabel(env)}' is not registered in this workspace. Register it with: stratus environment create --file env.yml`);
        }
        throw err;
      });
  }
}
