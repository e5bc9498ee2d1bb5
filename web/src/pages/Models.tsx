/**
 * Registered models and their versions: aliases, tags, the MLmodel signature and input example,
 * lineage to the run and job that produced the version, and "Deploy" to an online endpoint.
 */
import { useState } from 'react';
import { client, fmtTime, useData } from '../api.ts';
import { readModelFiles, signatureOf } from '../modelFiles.ts';
import { Code, Empty, ErrorNote, Fields, Status } from '../components/Bits.tsx';
import { FileBrowser } from '../components/Files.tsx';
import { VersionEditor } from '../components/VersionEditor.tsx';
import { Table } from '../components/Table.tsx';
import { go, Link } from '../router.tsx';

export function ModelsPage({ name }: { name?: string }) {
  const { data, error } = useData(() => client.registry.searchModels(), [], 5000);
  const models = data?.registered_models ?? [];
  const selected = name ?? models[0]?.name;
  return (
    <div>
      <h1>Models</h1>
      <ErrorNote error={error} />
      {data && models.length === 0 ? (
        <Empty title="No registered models">
          Register one from a job's output: <Code>stratus model create --name my-model --path azureml://jobs/&lt;job&gt;/outputs/model</Code>,
          or from Python with <Code>mlflow.register_model("runs:/&lt;run&gt;/model", "my-model")</Code>.
        </Empty>
      ) : (
        <div className="split">
          <div className="side">
            {models.map((m) => (
              <a key={m.name} href={`#/models/${encodeURIComponent(m.name)}`} className={m.name === selected ? 'active item' : 'item'}>{m.name}</a>
            ))}
          </div>
          <div className="grow">{selected && <Versions name={selected} />}</div>
        </div>
      )}
    </div>
  );
}

function Versions({ name }: { name: string }) {
  const { data: model } = useData(() => client.registry.getModel(name), [name]);
  const { data, error } = useData(() => client.registry.searchVersions(`name='${name.replace(/'/g, "\\'")}'`), [name], 5000);
  const aliases = (model?.registered_model.aliases ?? []) as { alias: string; version: string }[];
  return (
    <div>
      <h2>{name}</h2>
      <Fields rows={[
        ['Description', model?.registered_model.description],
        ['Aliases', aliases.map((a) => `@${a.alias} → v${a.version}`).join(', ')],
        ['Tags', (model?.registered_model.tags ?? []).map((t: any) => `${t.key}=${t.value}`).join(', ')],
      ]} />
      <ErrorNote error={error} />
      <Table<Record<string, any>>
        testId="versions-table"
        rows={data?.model_versions ?? []}
        rowKey={(v) => String(v.version)}
        columns={[
          { key: 'version', label: 'Version', render: (v) => <a href={`#/models/${encodeURIComponent(name)}/${v.version}`} data-testid={`version-${v.version}`}>Version {v.version}</a>, value: (v) => Number(v.version), width: '120px' },
          { key: 'status', label: 'Status', render: (v) => <Status value={v.status} />, width: '120px' },
          { key: 'aliases', label: 'Aliases', render: (v) => (v.aliases ?? []).join(', ') },
          { key: 'run_id', label: 'Run' },
          { key: 'creation_timestamp', label: 'Created', render: (v) => fmtTime(Number(v.creation_timestamp)), value: (v) => Number(v.creation_timestamp), width: '190px' },
        ]}
        height={300}
      />
    </div>
  );
}

export function ModelVersionPage({ name, version }: { name: string; version: string }) {
  const { data, error, reload } = useData(async () => {
    const v = (await client.registry.getVersion(name, version)).model_version;
    const { files, mlmodel, servingExample, inputExample, onnx } = await readModelFiles(name, version);
    const run = v.run_id ? await client.runs.get(v.run_id).then((r) => r.run, () => undefined) : undefined;
    return { v, files, mlmodel, example: servingExample ?? inputExample, onnx, run };
  }, [name, version]);
  const [deploying, setDeploying] = useState<string>();
  const [deployError, setDeployError] = useState<string>();
  if (error) return <ErrorNote error={error} />;
  if (!data) return <div className="muted">Loading {name} version {version}…</div>;
  const { v, files, mlmodel, example, onnx, run } = data;
  // Deploy with no code serves an MLflow or ONNX model; any other model needs its score.py.
  const deployable = Boolean(mlmodel) || onnx;
  const job = run?.data.tags?.find((t) => t.key === 'stratus.job')?.value;
  const signature = mlmodel ? signatureOf(mlmodel) : undefined;
  const deploy = async () => {
    const endpoint = `${name}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^[^a-z]+/, 'm-').slice(0, 28);
    setDeployError(undefined);
    setDeploying(`Creating endpoint ${endpoint} and deployment blue…`);
    try {
      await client.endpoints.show(endpoint).catch(() => client.endpoints.create({ name: endpoint, auth_mode: 'key', description: `Serves ${name}` }));
      await client.deployments.create(endpoint, {
        name: 'blue', endpoint_name: endpoint, model: `azureml:${name}:${version}`, environment: { kind: 'host' }, environment_variables: {},
        instance_count: 1, request_settings: { request_timeout_ms: 5000, max_concurrent_requests_per_instance: 4 }, notes: [],
      }, true, false);
      // While it starts, the deployment's log says what takes the time (the environment build, the workers).
      for (;;) {
        const d = await client.deployments.show(endpoint, 'blue');
        if (d.provisioning_state === 'Failed') throw new Error(`The deployment failed: ${d.error ?? 'see its logs'}`);
        // Up, and given the traffic (set just after it is up).
        if (d.provisioning_state === 'Succeeded' && ((await client.endpoints.show(endpoint)).traffic.blue ?? 0) > 0) break;
        const { content } = await client.deployments.logs(endpoint, 'blue', 3).catch(() => ({ content: '' }));
        setDeploying(`Deploying to ${endpoint} (deployment blue, ${d.provisioning_state})…\n${content.trim()}`);
        await new Promise((r) => setTimeout(r, 1500));
      }
      go('endpoints', endpoint);
    } catch (err) {
      setDeployError((err as Error).message);
      setDeploying(undefined);
    }
  };
  return (
    <div>
      <div className="title-row">
        <h1>{name} <span className="muted">version {version}</span></h1>
        {deployable
          ? <button className="primary" onClick={() => void deploy()} disabled={!!deploying} data-testid="deploy">Deploy</button>
          : <span className="muted" data-testid="deploy-needs-code">Not an MLflow or ONNX model: deploy it with its score.py — <code>stratus online-deployment create --file deployment.yml</code> with code_configuration.</span>}
      </div>
      {deploying && <pre className="note" data-testid="deploying">{deploying}</pre>}
      <ErrorNote error={deployError} />
      <Fields rows={[
        ['Status', <Status value={v.status} />], ['Created', fmtTime(Number(v.creation_timestamp))], ['Source', v.source],
        ['Produced by run', run ? <Link to={['experiments', run.info.experiment_id, 'runs', run.info.run_id]} testId="lineage-run">{run.info.run_name ?? run.info.run_id}</Link> : v.run_id],
        ['Produced by job', job && <Link to={['jobs', job]} testId="lineage-job">{job}</Link>],
        ['Flavor', mlmodel ? (/^flavors:\n((?:\s+.+\n)+)/m.exec(mlmodel)?.[1].split('\n').filter((l) => /^ {2}\w/.test(l)).map((l) => l.trim().replace(/:$/, '')).join(', ')) : 'no MLmodel file (a custom or ONNX model)'],
      ]} />
      <VersionEditor v={{ name, version, description: v.description, aliases: v.aliases, tags: v.tags }} onSaved={() => void reload()} />
      {signature && (signature.inputs || signature.outputs) ? (
        <>
          <h2>Signature</h2>
          <table className="grid" data-testid="signature">
            <thead><tr><th>input</th><th>type</th></tr></thead>
            <tbody>{((signature.inputs as any[]) ?? []).map((c, i) => <tr key={i}><td>{c.name ?? `#${i}`}</td><td>{c.type}{c['tensor-spec'] ? ` ${JSON.stringify(c['tensor-spec'])}` : ''}</td></tr>)}</tbody>
          </table>
          {signature.outputs ? <div className="muted">outputs: {JSON.stringify(signature.outputs)}</div> : null}
        </>
      ) : null}
      {example && (<><h2>Input example</h2><pre className="preview">{example}</pre></>)}
      {files && (<><h2>Files</h2><FileBrowser root={files.path} empty="No files." /></>)}
    </div>
  );
}
