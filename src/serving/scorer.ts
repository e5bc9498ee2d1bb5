/** What an endpoint needs of a deployment's runtime (Python workers, or ONNX in-process). */
export interface ScoreResult {
  status: number;
  body: string;
}

export interface Scorer {
  /** What runs the model: Python worker processes, or onnxruntime in the server process. */
  readonly runtime: 'python' | 'onnx';
  score(body: string): Promise<ScoreResult>;
  drain(): Promise<void>;
  stop(): Promise<void>;
  pids(): number[];
  swagger(): unknown;
}
