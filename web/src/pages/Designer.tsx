/**
 * The designer: a pipeline drawn on a canvas. Modules (the built-in components) and data assets
 * are dragged from the palette, their typed ports joined (a port takes only its own type), their
 * parameters set in the side panel; the graph is checked before it is submitted as an ordinary
 * pipeline job, whose steps' statuses then colour the nodes. The same graph is a pipeline YAML
 * that `stratus job create` runs, and a draft saved in the workspace's files (designer/).
 */
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import {
  addEdge, Background, Controls, Handle, Position, ReactFlow, ReactFlowProvider, useEdgesState, useNodesState, useReactFlow,
  type Connection, type Edge, type Node, type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import type { ComponentJson, JobJson } from '../../../src/client/index.ts';
import { portType } from '../../../src/designer/ports.ts';
import { client, useData } from '../api.ts';
import { ErrorNote, Status } from '../components/Bits.tsx';
import { LineChart } from '../components/Chart.tsx';
import { go, Link } from '../router.tsx';
import { InferencePipeline } from './DesignerInference.tsx';
import type { Draft } from '../pipelineDraft.ts';

interface Input { type: string; default?: string | number | boolean; optional?: boolean; enum?: string[]; description?: string }
type ModuleData = {
  kind: 'module' | 'dataset';
  /** The component (`builtin.split_data`) or the data asset (`adult:1`). */
  ref: string;
  title: string;
  params: Record<string, string | number | boolean>;
  status?: string;
  problem?: string;
  jobName?: string;
};
type DesignerNode = Node<ModuleData>;

const DRAFTS = 'designer';
const DRAG_TYPE = 'application/stratus-designer';

const LITERALS = ['string', 'number', 'integer', 'boolean'];

/**
 * A module's data ports and parameters, from its component: a built-in module's ports have the
 * designer's types; any other component's data inputs and outputs have their Azure type (uri_folder, …).
 */
function ports(c: ComponentJson | undefined) {
  const inputs = Object.entries((c?.inputs ?? {}) as Record<string, Input>);
  const typeOf = (i: { type?: string; description?: string }) => portType(i.description) ?? String(i.type ?? 'uri_folder');
  return {
    data: inputs.filter(([, i]) => !LITERALS.includes(i.type)).map(([name, i]) => ({ name, type: typeOf(i), optional: Boolean(i.optional) })),
    params: inputs.filter(([, i]) => LITERALS.includes(i.type)).map(([name, i]) => ({ name, ...i })),
    outputs: Object.entries((c?.outputs ?? {}) as Record<string, { type?: string; description?: string }>).map(([name, o]) => ({ name, type: typeOf(o) })),
  };
}

/** Two ports join when their types are the same, or when either is a plain Azure data type (a component outside the designer's). */
const joinable = (from: string | undefined, to: string | undefined) => Boolean(from && to) && (from === to || from!.startsWith('uri_') || to!.startsWith('uri_') || from === 'mltable' || to === 'mltable');

/** A node's ports: a data asset has one output, `data`, a dataset; a module has its component's. */
function nodePorts(data: ModuleData) {
  return data.kind === 'dataset' ? { data: [], params: [], outputs: [{ name: 'data', type: 'dataset' }] } : ports(catalogCache.get(data.ref));
}

function ModuleNode({ id, data, selected }: NodeProps<DesignerNode>) {
  const p = nodePorts(data);
  const rows = Math.max(p.data.length, p.outputs.length, 1);
  return (
    <div className={`dnode ${selected ? 'selected' : ''} ${data.problem ? 'invalid' : ''} status-${(data.status ?? 'draft').toLowerCase()}`} data-testid={`node-${id}`} style={{ minHeight: 28 + rows * 18 }}>
      <div className="dnode-title">{data.title}</div>
      <div className="muted">{data.kind === 'dataset' ? data.ref : id}</div>
      {data.status && <Status value={data.status} />}
      {data.problem && <div className="error" role="alert">{data.problem}</div>}
      {p.data.map((port, i) => (
        <Handle key={port.name} type="target" position={Position.Left} id={port.name} data-testid={`port-${id}-${port.name}`} title={`${port.name} (${port.type})`}
          style={{ top: 30 + i * 18 }} className={`port-${port.type}`} />
      ))}
      {p.outputs.map((port, i) => (
        <Handle key={port.name} type="source" position={Position.Right} id={port.name} data-testid={`port-${id}-${port.name}`} title={`${port.name} (${port.type})`}
          style={{ top: 30 + i * 18 }} className={`port-${port.type}`} />
      ))}
    </div>
  );
}

// The components, by name, for every node (loaded once per page).
let catalogCache = new Map<string, ComponentJson>();

/** Kahn's walk: the nodes in an order where every edge goes forward, or the nodes left in a cycle. */
function order(nodes: DesignerNode[], edges: Edge[]): { sorted: DesignerNode[]; cycle: string[] } {
  const indegree = new Map(nodes.map((n) => [n.id, 0]));
  for (const e of edges) indegree.set(e.target, (indegree.get(e.target) ?? 0) + 1);
  const ready = nodes.filter((n) => indegree.get(n.id) === 0);
  const sorted: DesignerNode[] = [];
  while (ready.length) {
    const n = ready.shift()!;
    sorted.push(n);
    for (const e of edges.filter((x) => x.source === n.id)) {
      indegree.set(e.target, indegree.get(e.target)! - 1);
      if (indegree.get(e.target) === 0) ready.push(nodes.find((m) => m.id === e.target)!);
    }
  }
  return { sorted, cycle: nodes.filter((n) => !sorted.includes(n)).map((n) => n.id) };
}

/** What is wrong with each node (missing inputs or parameters, a cycle), by node id. */
function problems(nodes: DesignerNode[], edges: Edge[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const id of order(nodes, edges).cycle) found.set(id, 'This module is on a cycle: a pipeline runs each module once, after its inputs.');
  for (const n of nodes) {
    if (n.data.kind !== 'module' || found.has(n.id)) continue;
    if (!catalogCache.has(n.data.ref)) {
      found.set(n.id, `Component ${n.data.ref} is not registered in this workspace (or is archived).`);
      continue;
    }
    const p = ports(catalogCache.get(n.data.ref));
    const missing = p.data.filter((d) => !d.optional && !edges.some((e) => e.target === n.id && e.targetHandle === d.name)).map((d) => d.name);
    const unset = p.params.filter((q) => !q.optional && q.default === undefined && (n.data.params[q.name] ?? '') === '').map((q) => q.name);
    if (missing.length || unset.length) found.set(n.id, [missing.length ? `Connect ${missing.join(', ')}.` : '', unset.length ? `Set ${unset.join(', ')}.` : ''].join(' ').trim());
  }
  return found;
}

/** A dataset node's data: a data asset (`adult:1`), or any path a pipeline read (`azureml://…`, an uploaded file's store path). */
const assetPath = (ref: string) => (/^[a-z][\w+.-]*:/i.test(ref) && !/^[\w.-]+:\d+$/.test(ref) ? ref : `azureml:${ref}`);

/** The pipeline job the graph is: each module a step bound to its inputs' sources, each data asset an asset input. */
function pipelineSpec(name: string, nodes: DesignerNode[], edges: Edge[]): Record<string, unknown> {
  const jobs: Record<string, unknown> = {};
  for (const n of order(nodes, edges).sorted.filter((m) => m.data.kind === 'module')) {
    const c = catalogCache.get(n.data.ref)!;
    const inputs: Record<string, unknown> = {};
    for (const e of edges.filter((x) => x.target === n.id)) {
      const from = nodes.find((m) => m.id === e.source)!;
      inputs[e.targetHandle!] = from.data.kind === 'dataset'
        ? { kind: 'asset', type: 'uri_folder', path: assetPath(from.data.ref) }
        : { kind: 'step_output', step: from.id, output: e.sourceHandle };
    }
    for (const [k, v] of Object.entries(n.data.params)) if (v !== '') inputs[k] = { kind: 'literal', value: v };
    jobs[n.id] = { type: 'command', component: { ref: `azureml:${c.name}:${c.version}` }, inputs, outputs: {}, display_name: n.data.title };
  }
  return {
    type: 'pipeline', display_name: name, experiment_name: 'designer', tags: { 'stratus.designer.draft': name },
    settings: { continue_on_step_failure: false, force_rerun: false }, inputs: {}, outputs: {}, jobs, notes: [],
  };
}

/** Characters that make a YAML scalar need quotes (the last three: backtick, double and single quote). */
const YAML_SPECIAL = new Set([...':#{}[],&*?|<>=!%@', '\u0060', '\u0022', '\u0027']);

/** The same graph as a pipeline YAML for `stratus job create`. */
function pipelineYaml(name: string, nodes: DesignerNode[], edges: Edge[]): string {
  const q = (v: unknown) => (typeof v === 'string' && (v.includes('\n') || [...v].some((ch) => YAML_SPECIAL.has(ch)) || v.trim() !== v || v === '') ? JSON.stringify(v) : String(v));
  const lines = ['$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json', 'type: pipeline', `display_name: ${q(name)}`, 'experiment_name: designer', 'jobs:'];
  for (const n of order(nodes, edges).sorted.filter((m) => m.data.kind === 'module')) {
    lines.push(`  ${n.id}:`, '    type: command', `    component: azureml:${n.data.ref}@latest`);
    const ins = edges.filter((x) => x.target === n.id).map((e) => {
      const from = nodes.find((m) => m.id === e.source)!;
      return from.data.kind === 'dataset'
        ? `      ${e.targetHandle}: {type: uri_folder, path: ${assetPath(from.data.ref)}}`
        : `      ${e.targetHandle}: \${{parent.jobs.${from.id}.outputs.${e.sourceHandle}}}`;
    });
    const params = Object.entries(n.data.params).filter(([, v]) => v !== '').map(([k, v]) => `      ${k}: ${q(v)}`);
    if (ins.length || params.length) lines.push('    inputs:', ...ins, ...params);
  }
  return `${lines.join('\n')}\n`;
}

function Palette({ components, assets }: { components: ComponentJson[]; assets: { name: string; version: string }[] }) {
  const [search, setSearch] = useState('');
  const start = (e: DragEvent, payload: { kind: ModuleData['kind']; ref: string }) => {
    e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(payload));
    e.dataTransfer.effectAllowed = 'move';
  };
  const match = (s: string) => s.toLowerCase().includes(search.toLowerCase());
  const groups = new Map<string, ComponentJson[]>();
  for (const c of components.filter((x) => match(`${x.display_name} ${x.name}`))) {
    const g = String((c.tags as Record<string, string> | undefined)?.['stratus.designer.category'] ?? 'Components');
    groups.set(g, [...(groups.get(g) ?? []), c]);
  }
  return (
    <aside className="palette" data-testid="palette">
      <input placeholder="Search modules" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="palette-search" />
      <h3>Data assets</h3>
      {assets.filter((a) => match(a.name)).map((a) => (
        <div key={`${a.name}:${a.version}`} className="palette-item" draggable onDragStart={(e) => start(e, { kind: 'dataset', ref: `${a.name}:${a.version}` })} data-testid={`palette-${a.name}`}>{a.name}:{a.version}</div>
      ))}
      {[...groups.entries()].map(([g, list]) => (
        <div key={g}><h3>{g}</h3>{list.map((c) => (
          <div key={c.name} className="palette-item" draggable onDragStart={(e) => start(e, { kind: 'module', ref: c.name })} title={String(c.description ?? '')} data-testid={`palette-${c.name}`}>{c.display_name ?? c.name}</div>
        ))}</div>
      ))}
    </aside>
  );
}

function Params({ node, onChange }: { node: DesignerNode; onChange: (name: string, value: string | number | boolean) => void }) {
  if (node.data.kind === 'dataset') return <div className="muted">Data asset {node.data.ref}: its files are the dataset.</div>;
  const p = ports(catalogCache.get(node.data.ref));
  return (
    <div data-testid="params">
      <h3>{node.data.title}</h3>
      {node.data.jobName && <div><Link to={['jobs', node.data.jobName]}>This step's job: logs and outputs</Link></div>}
      {p.params.length === 0 && <div className="muted">No parameters.</div>}
      {p.params.map((q) => {
        const value = node.data.params[q.name] ?? q.default ?? '';
        return (
          <label key={q.name} className="param" title={q.description}>
            <span>{q.name}</span>
            {q.enum ? (
              <select value={String(value)} onChange={(e) => onChange(q.name, e.target.value)} data-testid={`param-${q.name}`}>{q.enum.map((o) => <option key={o}>{o}</option>)}</select>
            ) : q.type === 'boolean' ? (
              <input type="checkbox" checked={value === true || value === 'true'} onChange={(e) => onChange(q.name, e.target.checked)} data-testid={`param-${q.name}`} />
            ) : q.name.endsWith('_script') ? (
              <textarea rows={6} value={String(value)} onChange={(e) => onChange(q.name, e.target.value)} data-testid={`param-${q.name}`} />
            ) : (
              <input value={String(value)} onChange={(e) => onChange(q.name, q.type === 'number' || q.type === 'integer' ? (e.target.value === '' ? '' : Number(e.target.value)) : e.target.value)} data-testid={`param-${q.name}`} />
            )}
          </label>
        );
      })}
    </div>
  );
}

/** A completed step's dataset output: its first rows and each column's statistics. */
function OutputPreview({ jobName, output }: { jobName: string; output: string }) {
  const { data, error } = useData(() => client.jobs.outputPreview(jobName, output, 10), [jobName, output]);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <div className="muted">Loading {output}…</div>;
  const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v === null || v === undefined ? '' : String(v));
  return (
    <div data-testid={`preview-${output}`}>
      <h4>{output}: {data.row_count} rows</h4>
      <table className="grid"><thead><tr><th>column</th><th>type</th><th>min</th><th>max</th><th>mean</th><th>missing %</th></tr></thead>
        <tbody>{data.stats.map((s) => <tr key={String(s.column)}><td>{String(s.column)}</td><td>{String(s.type)}</td><td>{fmt(s.min)}</td><td>{fmt(s.max)}</td><td>{fmt(s.mean)}</td><td>{fmt(s.nulls_percent)}</td></tr>)}</tbody>
      </table>
      <table className="grid"><thead><tr>{data.columns.map((c) => <th key={c.name}>{c.name}</th>)}</tr></thead>
        <tbody>{data.rows.map((r, i) => <tr key={i}>{data.columns.map((c) => <td key={c.name}>{fmt(r[c.name])}</td>)}</tr>)}</tbody>
      </table>
    </div>
  );
}

/** Evaluate Model's output: its metrics and ROC curve. */
function Evaluation({ jobName }: { jobName: string }) {
  const { data, error } = useData(async () => {
    const res = await client.fetchArtifact(`jobs/${jobName}/named-outputs/evaluation_results/evaluation.json`);
    return (await res.json()) as { metrics: Record<string, number>; plots: {
      roc_curve?: { fpr: number[]; tpr: number[] }; precision_recall_curve?: { recall: number[]; precision: number[] };
      confusion_matrix?: { labels: string[]; matrix: number[][] }; residuals?: { counts: number[]; edges: number[] };
    } }[];
  }, [jobName]);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <div className="muted">Loading the evaluation…</div>;
  const first = data[0];
  return (
    <div data-testid="evaluation">
      <table className="grid"><tbody>{Object.entries(first.metrics).map(([k, v]) => <tr key={k}><td>{k}</td><td>{v.toPrecision(4)}</td></tr>)}</tbody></table>
      {first.plots.roc_curve && <LineChart title="ROC curve (true vs false positive rate)" xLabel="false positive rate" testId="roc-curve" series={[{ label: 'ROC', points: first.plots.roc_curve.fpr.map((x, i) => ({ x, y: first.plots.roc_curve!.tpr[i] })) }]} />}
      {first.plots.precision_recall_curve && <LineChart title="Precision vs recall" xLabel="recall" testId="pr-curve" series={[{ label: 'precision', points: first.plots.precision_recall_curve.recall.map((x, i) => ({ x, y: first.plots.precision_recall_curve!.precision[i] })) }]} />}
      {first.plots.residuals && <LineChart title="Residuals (count per bin)" xLabel="residual" testId="residuals" series={[{ label: 'count', points: first.plots.residuals.counts.map((y, i) => ({ x: first.plots.residuals!.edges[i], y })) }]} />}
      {first.plots.confusion_matrix && (
        <table className="grid" data-testid="confusion-matrix"><thead><tr><th>actual \\ predicted</th>{first.plots.confusion_matrix.labels.map((l) => <th key={l}>{l}</th>)}</tr></thead>
          <tbody>{first.plots.confusion_matrix.matrix.map((row, i) => <tr key={i}><th>{first.plots.confusion_matrix!.labels[i]}</th>{row.map((v, j) => <td key={j}>{v}</td>)}</tr>)}</tbody>
        </table>
      )}
    </div>
  );
}

function Canvas({ draft, components }: { draft: Draft; components: ComponentJson[] }) {
  const flow = useReactFlow();
  const [nodes, setNodes, onNodesChange] = useNodesState<DesignerNode>(draft.nodes.map((n) => ({
    id: n.id, type: 'module', position: { x: n.x, y: n.y },
    data: { kind: n.kind, ref: n.ref, params: n.params, title: n.kind === 'dataset' ? 'Dataset' : String(catalogCache.get(n.ref)?.display_name ?? n.ref) },
  })));
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>(draft.edges.map((e) => ({ id: `${e.source}.${e.sourceHandle}-${e.target}.${e.targetHandle}`, ...e })));
  const [selected, setSelected] = useState<string | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const [job, setJob] = useState<JobJson | undefined>(draft.job ? ({ name: draft.job } as JobJson) : undefined);
  const [yaml, setYaml] = useState<string | undefined>();
  const assets = useData(() => client.data.list(), []);
  const counter = useRef(draft.nodes.length);

  const portOf = useCallback((nodeId: string, handle: string | null, side: 'source' | 'target') => {
    const n = nodes.find((m) => m.id === nodeId);
    if (!n) return undefined;
    const p = nodePorts(n.data);
    return (side === 'source' ? p.outputs : p.data).find((x) => x.name === handle)?.type;
  }, [nodes]);
  // A port takes one source, of its own type.
  const isValidConnection = useCallback((c: Connection | Edge) => {
    const from = portOf(c.source, c.sourceHandle ?? null, 'source');
    return joinable(from, portOf(c.target, c.targetHandle ?? null, 'target')) && c.source !== c.target
      && !edges.some((e) => e.target === c.target && e.targetHandle === c.targetHandle);
  }, [portOf, edges]);
  const onConnect = useCallback((c: Connection) => setEdges((es) => addEdge({ ...c, id: `${c.source}.${c.sourceHandle}-${c.target}.${c.targetHandle}` }, es)), [setEdges]);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    const raw = e.dataTransfer.getData(DRAG_TYPE);
    if (!raw) return;
    const { kind, ref } = JSON.parse(raw) as { kind: ModuleData['kind']; ref: string };
    const base = kind === 'dataset' ? ref.split(':')[0].replace(/\W/g, '_') : ref.replace(/^builtin\./, '');
    let id = base;
    while (nodes.some((n) => n.id === id)) id = `${base}_${++counter.current}`;
    const title = kind === 'dataset' ? 'Dataset' : String(catalogCache.get(ref)?.display_name ?? ref);
    setNodes((ns) => [...ns, { id, type: 'module', position: flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }), data: { kind, ref, params: {}, title } }]);
    setSelected(id);
  };

  const toDraft = (submitted = job?.name): Draft => ({
    name: draft.name,
    job: submitted,
    nodes: nodes.map((n) => ({ id: n.id, kind: n.data.kind, ref: n.data.ref, params: n.data.params, x: Math.round(n.position.x), y: Math.round(n.position.y) })),
    edges: edges.map((e) => ({ source: e.source, sourceHandle: e.sourceHandle!, target: e.target, targetHandle: e.targetHandle! })),
  });
  const save = async (submitted?: string) => {
    await client.files.upload(`${DRAFTS}/${draft.name}.json`, JSON.stringify(toDraft(submitted), null, 1));
    setMessage(`Saved as draft ${draft.name}.`);
  };
  const check = () => {
    const found = problems(nodes, edges);
    setNodes((ns) => ns.map((n) => ({ ...n, data: { ...n.data, problem: found.get(n.id) } })));
    return found;
  };
  const submit = async () => {
    const found = check();
    if (!nodes.some((n) => n.data.kind === 'module')) return setMessage('Drag modules from the palette onto the canvas first.');
    if (found.size) return setMessage(`Not submitted: ${found.size} module${found.size > 1 ? 's need' : ' needs'} attention (marked in red).`);
    await save();
    try {
      const created = await client.jobs.create(pipelineSpec(draft.name, nodes, edges));
      await save(created.name);
      setJob(created);
      setMessage(`Submitted as pipeline job ${created.name}.`);
    } catch (err) {
      setMessage(`Not submitted: ${(err as Error).message}`);
    }
  };
  // The job's steps colour their nodes until it ends.
  useEffect(() => {
    if (!job) return;
    let stop = false;
    const poll = async () => {
      while (!stop) {
        const now = await client.jobs.get(job.name).catch(() => undefined);
        if (now) {
          const steps = (now.jobs ?? {}) as Record<string, { status?: string; job_name?: string }>;
          // A failed step's reason shows on its node.
          const failures = new Map<string, string>();
          for (const [step, s] of Object.entries(steps)) {
            if (s.status !== 'Failed' || !s.job_name) continue;
            const error = (await client.jobs.get(s.job_name).catch(() => undefined))?.error;
            // The module's own one-line reason ends its stderr.
            failures.set(step, error?.stderr_tail?.trim().split('\n').pop() ?? error?.message ?? 'Failed: see its log.');
          }
          setNodes((ns) => ns.map((n) => (steps[n.id] ? { ...n, data: { ...n.data, status: steps[n.id].status, jobName: steps[n.id].job_name, problem: failures.get(n.id) } } : n)));
          setJob(now);
          if (['Completed', 'Failed', 'Canceled'].includes(String(now.status))) return;
        }
        await new Promise((r) => setTimeout(r, 1500));
      }
    };
    void poll();
    return () => { stop = true; };
  }, [job?.name]);

  const node = nodes.find((n) => n.id === selected);
  const nodeTypes = useMemo(() => ({ module: ModuleNode }), []);
  return (
    <div className="designer">
      <Palette components={components} assets={(assets.data?.value ?? []) as { name: string; version: string }[]} />
      <div className="designer-main">
        <div className="title-row">
          <h1>{draft.name} {job && <Status value={String(job.status)} />}</h1>
          <div>
            <button onClick={() => check().size === 0 && setMessage('The graph is complete.')} data-testid="validate">Validate</button>{' '}
            <button onClick={() => void save()} data-testid="save">Save draft</button>{' '}
            <button onClick={() => setYaml(yaml ? undefined : pipelineYaml(draft.name, nodes, edges))} data-testid="show-yaml">YAML</button>{' '}
            <button className="primary" onClick={() => void submit()} data-testid="submit">Submit</button>
          </div>
        </div>
        {message && <div className="muted" data-testid="designer-message">{message}{job && <> <Link to={['jobs', job.name]}>Open the job</Link></>}</div>}
        {yaml && <pre className="log" data-testid="yaml">{yaml}</pre>}
        {job?.status === 'Completed' && nodes.some((n) => n.data.ref === 'builtin.score_model') && <InferencePipeline key={job.name} jobName={job.name} draftName={draft.name} />}
        <div className="canvas" data-testid="canvas" onDrop={onDrop} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; }}>
          <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} onNodesChange={onNodesChange} onEdgesChange={onEdgesChange} onConnect={onConnect}
            isValidConnection={isValidConnection} onNodeClick={(_, n) => setSelected(n.id)} onPaneClick={() => setSelected(undefined)} fitView={draft.nodes.length > 0}>
            <Background />
            <Controls />
          </ReactFlow>
        </div>
      </div>
      <aside className="inspector">
        {node ? <Params node={node} onChange={(k, v) => setNodes((ns) => ns.map((n) => (n.id === node.id ? { ...n, data: { ...n.data, params: { ...n.data.params, [k]: v }, problem: undefined } } : n)))} />
          : <div className="muted">Select a module to set its parameters.</div>}
        {node?.data.ref === 'builtin.evaluate_model' && node.data.status === 'Completed' && node.data.jobName && <Evaluation jobName={node.data.jobName} />}
        {node?.data.kind === 'module' && node.data.status === 'Completed' && node.data.jobName && ports(catalogCache.get(node.data.ref)).outputs.filter((o) => o.type === 'dataset')
          .map((o) => <OutputPreview key={o.name} jobName={node.data.jobName!} output={o.name} />)}
      </aside>
    </div>
  );
}

/** #/designer: the drafts and a new one; #/designer/<draft>: its canvas. */
export function DesignerPage({ draft }: { draft?: string }) {
  // Every registered component: the built-in modules, and a user's own (a pipeline opened from a job may use them).
  const catalog = useData(async () => (await client.components.list()).value, []);
  const drafts = useData(() => client.files.list(DRAFTS).then((r) => r.files.filter((f) => f.path.endsWith('.json')), () => []), [draft]);
  const loaded = useData(async () => {
    if (!draft) return undefined;
    const text = await client.files.read(`${DRAFTS}/${draft}.json`).catch(() => undefined);
    return text ? (JSON.parse(text) as Draft) : ({ name: draft, nodes: [], edges: [] } satisfies Draft);
  }, [draft]);
  const [name, setName] = useState('');
  if (catalog.error) return <ErrorNote error={catalog.error} />;
  if (!catalog.data) return <div className="muted">Loading the modules…</div>;
  catalogCache = new Map(catalog.data.map((c) => [String(c.name), c]));
  if (draft) {
    if (!loaded.data) return <div className="muted">Loading {draft}…</div>;
    return <ReactFlowProvider><Canvas key={draft} draft={loaded.data} components={catalog.data} /></ReactFlowProvider>;
  }
  return (
    <div>
      <h1>Designer</h1>
      <p className="muted">Build a pipeline by dragging modules onto a canvas and joining their ports; it runs as a pipeline job.</p>
      <form onSubmit={(e) => { e.preventDefault(); if (/^[\w-]+$/.test(name)) go('designer', name); }}>
        <input placeholder="new pipeline name (letters, digits, - and _)" value={name} onChange={(e) => setName(e.target.value)} data-testid="new-draft-name" />{' '}
        <button className="primary" type="submit" data-testid="new-draft">New pipeline</button>
      </form>
      <h3>Drafts</h3>
      {(drafts.data ?? []).length === 0 && <div className="muted">No drafts yet.</div>}
      <ul>{(drafts.data ?? []).map((f) => { const n = f.path.split('/').pop()!.replace(/\.json$/, ''); return <li key={f.path}><Link to={['designer', n]}>{n}</Link></li>; })}</ul>
    </div>
  );
}
