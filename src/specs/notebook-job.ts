/**
 * A notebook submitted as a command job, the papermill way: the notebook's folder is the code,
 * each parameter is a job input injected by `papermill -p` after the cell tagged `parameters`,
 * and the executed notebook (with its outputs) is the job's `notebook` output. The job is an
 * ordinary command job in the notebook environment, so it streams, is tracked and can be
 * scheduled like any other.
 */
import path from 'node:path';
import { stringify } from 'yaml';
import { invalid } from '../util/errors.ts';
import { shellQuote } from '../util/shell.ts';

const PARAMETER = /^[A-Za-z_][A-Za-z0-9_]*$/;


/** `alpha=0.5` → ['alpha', 0.5]: numbers and booleans as such, the rest as text. */
function parameter(assignment: string): [string, string | number | boolean] {
  const eq = assignment.indexOf('=');
  const name = eq < 0 ? '' : assignment.slice(0, eq);
  if (!PARAMETER.test(name)) throw invalid(`Invalid notebook parameter '${assignment}': use name=value with a Python identifier as the name.`);
  const raw = assignment.slice(eq + 1);
  if (/^(true|false)$/i.test(raw)) return [name, raw.toLowerCase() === 'true'];
  if (raw.trim() !== '' && Number.isFinite(Number(raw))) return [name, Number(raw)];
  return [name, raw];
}

/** The command-job YAML that runs `notebook` with `parameters`; `code` is the notebook's folder. */
export function notebookJobYaml(notebook: string, parameters: string[], opts: { experiment?: string; compute?: string; displayName?: string }): string {
  if (!notebook.toLowerCase().endsWith('.ipynb')) throw invalid(`${notebook}: a notebook job runs a .ipynb file.`);
  const file = path.basename(notebook);
  const inputs = Object.fromEntries(parameters.map(parameter));
  const flags = Object.keys(inputs).map((k) => `-p ${k} "\${{inputs.${k}}}"`).join(' ');
  const job = {
    $schema: 'https://azuremlschemas.azureedge.net/latest/commandJob.schema.json',
    type: 'command',
    display_name: opts.displayName ?? file.replace(/\.ipynb$/i, ''),
    ...(opts.experiment ? { experiment_name: opts.experiment } : {}),
    ...(opts.compute ? { compute: opts.compute } : {}),
    code: path.dirname(path.resolve(notebook)),
    // --log-output puts each cell's output in the job's log as it runs.
    command: ['papermill', shellQuote(file), `"\${{outputs.notebook}}"/${shellQuote(file)}`, flags, '--log-output'].filter(Boolean).join(' '),
    environment: 'azureml:stratus-notebook@latest',
    ...(Object.keys(inputs).length ? { inputs } : {}),
    outputs: { notebook: { type: 'uri_folder' } },
    tags: { 'stratus.notebook': file },
  };
  return stringify(job);
}
