/**
 * A pipeline job's graph, laid out as the designer lays it out: a node per step with its status
 * (coloured as it runs; a click opens the step's job), a node per data asset it reads, and an edge
 * per input bound to another step's output. Read-only: the designer is where a graph is changed.
 */
import { useMemo } from 'react';
import { Background, Handle, Position, ReactFlow, ReactFlowProvider, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import type { JobJson } from '../../../src/client/index.ts';
import { draftFromJob } from '../pipelineDraft.ts';
import { go } from '../router.tsx';
import { Status } from './Bits.tsx';

type StepData = { title: string; detail: string; status?: string; jobName?: string };

function StepNode({ data }: NodeProps<Node<StepData>>) {
  return (
    <div className={`dnode status-${(data.status ?? 'dataset').toLowerCase()}`} data-testid={`graph-node-${data.title}`}>
      <Handle type="target" position={Position.Left} />
      <strong>{data.title}</strong>
      <div className="muted small">{data.detail}</div>
      {data.status && <Status value={data.status} />}
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

const nodeTypes = { step: StepNode };

export function PipelineGraph({ job }: { job: JobJson }) {
  const { nodes, edges } = useMemo(() => {
    const draft = draftFromJob(job, job.name);
    const steps = (job.jobs ?? {}) as Record<string, { status?: string; job_name?: string }>;
    const nodes: Node<StepData>[] = draft.nodes.map((n) => ({
      id: n.id, type: 'step', position: { x: n.x, y: n.y }, draggable: false,
      data: n.kind === 'dataset' ? { title: n.id, detail: n.ref } : { title: n.id, detail: n.ref, status: steps[n.id]?.status, jobName: steps[n.id]?.job_name },
    }));
    // One edge per pair of nodes (several inputs may join the same two), labelled with the output.
    const seen = new Set<string>();
    const edges: Edge[] = [];
    for (const e of draft.edges) {
      const id = `${e.source}-${e.target}`;
      if (seen.has(id)) continue;
      seen.add(id);
      edges.push({ id, source: e.source, target: e.target, label: e.sourceHandle === 'data' ? undefined : e.sourceHandle, animated: steps[e.target]?.status === 'Running' });
    }
    return { nodes, edges };
  }, [job]);
  return (
    <div className="pipeline-graph" data-testid="pipeline-graph">
      <ReactFlowProvider>
        <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} fitView nodesConnectable={false} elementsSelectable={false}
          onNodeClick={(_, n) => { if (n.data.jobName) go('jobs', n.data.jobName); }}>
          <Background />
        </ReactFlow>
      </ReactFlowProvider>
    </div>
  );
}
