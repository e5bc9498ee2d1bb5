/**
 * "Create inference pipeline" on a trained designer pipeline: the real-time graph the server derives
 * (Web Service Input → the transformations replayed on each request → Score Model → Web Service
 * Output), and Deploy, which serves it on an online endpoint in one action.
 */
import { useState } from 'react';
import { client } from '../api.ts';
import { Link } from '../router.tsx';

type Plan = Awaited<ReturnType<typeof client.jobs.inferencePipeline>>;
type Deployed = Awaited<ReturnType<typeof client.jobs.deployInferencePipeline>>;

/** An endpoint name from a draft's: 3-32 letters, digits and '-', starting with a letter. */
const endpointName = (draft: string) => `${/^[A-Za-z]/.test(draft) ? '' : 'p-'}${draft.replace(/[^A-Za-z0-9-]/g, '-')}`.slice(0, 32).padEnd(3, '-');

export function InferencePipeline({ jobName, draftName }: { jobName: string; draftName: string }) {
  const [plan, setPlan] = useState<Plan | undefined>();
  const [endpoint, setEndpoint] = useState(endpointName(draftName));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>();
  const [deployed, setDeployed] = useState<Deployed | undefined>();

  const create = async () => {
    setMessage(undefined);
    try {
      setPlan(await client.jobs.inferencePipeline(jobName));
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  const deploy = async () => {
    setBusy(true);
    setMessage(`Deploying to ${endpoint}: registering the inference pipeline, starting its workers…`);
    try {
      const done = await client.jobs.deployInferencePipeline(jobName, { endpoint_name: endpoint });
      setDeployed(done);
      setMessage(done.deployment.provisioning_state === 'Succeeded' ? undefined : `The deployment ${done.deployment.provisioning_state}: ${done.deployment.error ?? ''}`);
    } catch (err) {
      setMessage(`Not deployed: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  if (!plan) {
    return (
      <div className="inference">
        <button onClick={() => void create()} data-testid="create-inference">Create inference pipeline</button>
        {message && <span className="muted" data-testid="inference-message"> {message}</span>}
      </div>
    );
  }
  return (
    <div className="inference" data-testid="inference-pipeline">
      <strong>Real-time inference pipeline</strong>
      <div className="inference-graph" data-testid="inference-graph">
        {plan.graph.map((title, k) => <span key={k}>{k > 0 && <span className="arrow">→</span>}<span className="inode">{title}</span></span>)}
      </div>
      <div className="muted">
        Web Service Input replaces {plan.source || 'the training data'}; Score Model uses the model of step {plan.model.step}.
        {plan.removed.length > 0 && <> Removed: {plan.removed.map((r) => `${r.title} (${r.why})`).join('; ')}.</>}
      </div>
      {deployed ? (
        <div data-testid="inference-deployed">
          Deployed as model {deployed.model.name}:{deployed.model.version} to endpoint <Link to={['endpoints', deployed.endpoint.name]}>{deployed.endpoint.name}</Link>{' '}
          (deployment {deployed.deployment.name}: {deployed.deployment.provisioning_state}). It takes {'{"Inputs": {"WebServiceInput0": [rows]}, "GlobalParameters": {}}'}.
        </div>
      ) : (
        <form onSubmit={(e) => { e.preventDefault(); void deploy(); }}>
          <label>Endpoint <input value={endpoint} onChange={(e) => setEndpoint(e.target.value)} data-testid="inference-endpoint" /></label>{' '}
          <button className="primary" type="submit" disabled={busy} data-testid="deploy-inference">Deploy</button>
        </form>
      )}
      {message && <div className="muted" data-testid="inference-message">{message}</div>}
    </div>
  );
}
