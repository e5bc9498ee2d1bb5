/** Where one job's files live on the host that runs it: working folder, logs, exit code, inputs, outputs. */
import path from 'node:path';

export interface JobPaths {
  root: string;
  workdir: string;
  stdout: string;
  stderr: string;
  exitCode: string;
  buildLog: string;
  inputs: string;
  namedOutputs: string;
}

export function jobPaths(jobsDir: string, name: string): JobPaths {
  const root = path.join(jobsDir, name);
  return {
    root,
    workdir: path.join(root, 'wd'),
    stdout: path.join(root, 'user_logs', 'std_log.txt'),
    stderr: path.join(root, 'user_logs', 'std_err.txt'),
    exitCode: path.join(root, 'exit_code'),
    buildLog: path.join(root, 'system_logs', 'environment_build.txt'),
    inputs: path.join(root, 'inputs'),
    namedOutputs: path.join(root, 'named-outputs'),
  };
}
