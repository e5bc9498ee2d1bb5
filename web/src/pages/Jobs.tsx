/** Jobs: status, experiment, compute, duration and who submitted it, with filters; pipelines and sweeps included. */
import { useMemo, useState } from 'react';
import type { JobJson } from '../../../src/client/index.ts';
import { client, fmtDuration, fmtTime, useData } from '../api.ts';
import { Code, Empty, ErrorNote, Status } from '../components/Bits.tsx';
import { Table } from '../components/Table.tsx';
import { Link } from '../router.tsx';

const STATUSES = ['', 'Queued', 'Preparing', 'Running', 'Finalizing', 'Completed', 'Failed', 'Canceled'];

export function JobsPage() {
  const [status, setStatus] = useState('');
  const [text, setText] = useState('');
  const [createdBy, setCreatedBy] = useState('');
  const { data, error } = useData(() => client.jobs.list({ status: status || undefined, created_by: createdBy.trim() || undefined, max_results: '1000' }), [status, createdBy], 3000);
  const jobs = useMemo(() => (data?.value ?? []).filter((j) => !text || `${j.name} ${j.display_name} ${j.experiment_name} ${j.compute}`.toLowerCase().includes(text.toLowerCase())), [data, text]);
  return (
    <div>
      <h1>Jobs</h1>
      <div className="toolbar">
        <select aria-label="status filter" value={status} onChange={(e) => setStatus(e.target.value)}>
          {STATUSES.map((s) => <option key={s} value={s}>{s || 'All statuses'}</option>)}
        </select>
        <input aria-label="search jobs" placeholder="Filter by name, experiment or compute" value={text} onChange={(e) => setText(e.target.value)} />
        <input aria-label="created by" placeholder="Created by (user)" value={createdBy} onChange={(e) => setCreatedBy(e.target.value)} />
      </div>
      <ErrorNote error={error} />
      {data && data.value.length === 0 && !status && !createdBy ? (
        <Empty title="No jobs yet">
          Submit one from a job YAML (command, pipeline or sweep): <Code>stratus job create --file job.yml --stream</Code>.
          The example in <Code>examples/hello</Code> runs in a second.
        </Empty>
      ) : (
        <Table<JobJson>
          testId="jobs-table"
          rows={jobs}
          rowKey={(j) => j.name}
          columns={[
            { key: 'display_name', label: 'Name', render: (j) => <Link to={['jobs', j.name]} testId={`job-link-${j.name}`}>{j.display_name ?? j.name}</Link>, value: (j) => j.display_name },
            { key: 'type', label: 'Type', width: '90px' },
            { key: 'status', label: 'Status', render: (j) => <Status value={j.status} />, width: '120px' },
            { key: 'experiment_name', label: 'Experiment' },
            { key: 'compute', label: 'Compute', value: (j) => String(j.compute ?? '').replace(/^azureml:/, ''), render: (j) => String(j.compute ?? '').replace(/^azureml:/, ''), width: '120px' },
            { key: 'duration', label: 'Duration', value: (j) => (j.start_time ? Date.parse(j.end_time ?? new Date().toISOString()) - Date.parse(j.start_time) : undefined), render: (j) => fmtDuration(j.start_time, j.end_time), width: '100px' },
            { key: 'created', label: 'Created', value: (j) => j.creation_context?.created_at, render: (j) => fmtTime(j.creation_context?.created_at), width: '190px' },
            { key: 'created_by', label: 'Created by', value: (j) => j.creation_context?.created_by, render: (j) => j.creation_context?.created_by ?? '', width: '130px' },
          ]}
        />
      )}
    </div>
  );
}
