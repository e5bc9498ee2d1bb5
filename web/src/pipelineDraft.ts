/**
 * A pipeline as the designer draws it: a draft (nodes with positions, edges between ports), and
 * how a pipeline job becomes one (the designer's "Open in designer", the job page's graph).
 */
import type { JobJson } from '../../src/client/index.ts';

export type NodeKind = 'module' | 'dataset';
export type Params = Record<string, string | number | boolean>;

export interface Draft {
  name: string;
  /** The pipeline job last submitted from this draft: its steps' statuses colour the nodes when the draft opens. */
  job?: string;
  nodes: { id: string; kind: NodeKind; ref: string; params: Params; x: number; y: number }[]; edges: { source: string; sourceHandle: string; target: string; targetHandle: string }[];
}

/**
 * A pipeline job as a draft: a node per step (laid out by depth, left to right), a dataset node
 * per data asset it reads, an edge per step input bound to another step's output.
 */
export function draftFromJob(job: JobJson, name: string): Draft {
  const steps = (job.jobs ?? {}) as Record<string, { component?: string; inputs?: Record<string, unknown>; depends_on?: string[] }>;
  const parentInputs = (job.inputs ?? {}) as Record<string, { path?: string }>;
  const depth = new Map<string, number>();
  const depthOf = (s: string): number => {
    if (!depth.has(s)) depth.set(s, 1 + Math.max(-1, ...(steps[s]?.depends_on ?? []).filter((d) => steps[d]).map(depthOf)));
    return depth.get(s)!;
  };
  const nodes: Draft['nodes'] = [];
  const edges: Draft['edges'] = [];
  const column = new Map<number, number>();
  const place = (x: number) => {
    const row = column.get(x) ?? 0;
    column.set(x, row + 1);
    return { x: 40 + x * 230, y: 40 + row * 130 };
  };
  for (const [step, s] of Object.entries(steps)) {
    const params: Params = {};
    for (const [input, value] of Object.entries(s.inputs ?? {})) {
      const fromStep = typeof value === 'string' ? /^\$\{\{parent\.jobs\.([\w-]+)\.outputs\.([\w-]+)\}\}$/.exec(value) : null;
      const fromParent = typeof value === 'string' ? /^\$\{\{parent\.inputs\.([\w-]+)\}\}$/.exec(value) : null;
      const asset = value && typeof value === 'object' ? (value as { path?: string }).path : fromParent ? parentInputs[fromParent[1]]?.path : undefined;
      if (fromStep) edges.push({ source: fromStep[1], sourceHandle: fromStep[2], target: step, targetHandle: input });
      else if (asset) {
        const id = `data_${nodes.filter((n) => n.kind === 'dataset').length + 1}`;
        nodes.push({ id, kind: 'dataset', ref: asset.replace(/^azureml:(?!\/\/)/, ''), params: {}, ...place(0) });
        edges.push({ source: id, sourceHandle: 'data', target: step, targetHandle: input });
      } else if (['string', 'number', 'boolean'].includes(typeof value)) params[input] = value as string | number | boolean;
    }
    nodes.push({ id: step, kind: 'module', ref: String(s.component ?? '').replace(/^azureml:/, '').replace(/[:@][^:@]*$/, ''), params, ...place(depthOf(step) + 1) });
  }
  return { name, job: job.name, nodes, edges };
}

