/**
 * What the studio reads from a registered model's files: its MLmodel signature and input example,
 * and from them a request its endpoint accepts (the test console's first body).
 */
import { client } from './api.ts';

/** MLmodel's signature lines hold JSON strings: inputs: '[{"type": ...}]'. */
export function signatureOf(mlmodel: string): { inputs?: unknown; outputs?: unknown } {
  const out: Record<string, unknown> = {};
  for (const key of ['inputs', 'outputs']) {
    const m = new RegExp(`^\\s+${key}: '(.*)'$`, 'm').exec(mlmodel);
    if (m) { try { out[key] = JSON.parse(m[1].replace(/''/g, "'")); } catch { /* left out */ } }
  }
  return out;
}

/** A model version's MLmodel, input examples and whether it holds an ONNX file. */
export async function readModelFiles(name: string, version: string) {
  const files = await client.models.files(name, version).catch(() => undefined);
  const read = async (file: string) => (files ? client.fetchArtifact(`${files.path}/${file}`).then((r) => (r.ok ? r.text() : undefined), () => undefined) : undefined);
  const listing = files ? await client.listArtifacts(files.path).catch(() => undefined) : undefined;
  return {
    files,
    mlmodel: await read('MLmodel'),
    servingExample: await read('serving_input_example.json'),
    inputExample: await read('input_example.json'),
    onnx: (listing?.files ?? []).some((f) => f.path.endsWith('.onnx')),
  };
}

/**
 * A request the model's endpoint accepts: MLflow's serving example as it is, else the input example
 * in Azure's `input_data`, else one row of zeros shaped by the signature; a score.py model's own
 * shape is unknown, so a plain `data` list of one row.
 */
export async function sampleRequest(model: string | undefined): Promise<string> {
  const fallback = '{"data": [[1.0, 2.0]]}';
  const m = /^azureml:([^:]+):(\d+)$/.exec(model ?? '');
  if (!m) return fallback;
  const { mlmodel, servingExample, inputExample } = await readModelFiles(m[1], m[2]);
  if (servingExample) return servingExample.trim();
  if (inputExample) return JSON.stringify({ input_data: JSON.parse(inputExample) });
  const inputs = mlmodel ? signatureOf(mlmodel).inputs : undefined;
  if (Array.isArray(inputs) && inputs.every((i) => i && typeof i === 'object' && 'name' in i)) {
    const columns = inputs.map((i) => String((i as { name: string }).name));
    const zero = (i: { type?: string }) => (i.type === 'string' ? '' : i.type === 'boolean' ? false : 0);
    return JSON.stringify({ input_data: { columns, data: [inputs.map((i) => zero(i as { type?: string }))] } });
  }
  return fallback;
}
