/** Experiments, each with its runs. */
import { client, fmtTime, useData } from '../api.ts';
import { Code, Empty, ErrorNote } from '../components/Bits.tsx';
import { Table } from '../components/Table.tsx';
import { Link } from '../router.tsx';
import type { Experiment } from '../../../src/specs/mlflow-entities.ts';

export function ExperimentsPage() {
  const { data, error } = useData(() => client.experiments.search({ max_results: 1000 }), [], 5000);
  const experiments = data?.experiments ?? [];
  return (
    <div>
      <h1>Experiments</h1>
      <ErrorNote error={error} />
      {data && experiments.length === 0 ? (
        <Empty title="No experiments">Log a run from Python: <Code>mlflow.set_tracking_uri("{window.location.origin}")</Code>, or submit a job.</Empty>
      ) : (
        <Table<Experiment>
          testId="experiments-table"
          rows={experiments}
          rowKey={(e) => e.experiment_id}
          columns={[
            { key: 'name', label: 'Name', render: (e) => <Link to={['experiments', e.experiment_id]}>{e.name}</Link> },
            { key: 'experiment_id', label: 'ID', width: '90px' },
            { key: 'lifecycle_stage', label: 'Stage', width: '100px' },
            { key: 'last_update_time', label: 'Updated', render: (e) => fmtTime(Number(e.last_update_time)), value: (e) => Number(e.last_update_time), width: '200px' },
          ]}
        />
      )}
    </div>
  );
}
