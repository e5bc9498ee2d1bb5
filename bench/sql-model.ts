/**
 * The model both SQL benchmarks score: y = 2*x1 + 3*x2 + 1 fitted by scikit-learn, registered
 * through the MLflow client as its ONNX conversion `lin-onnx` and as `lin-skl`, the same fit
 * inside a TransformedTargetRegressor (exact, and one skl2onnx has no converter for, so the
 * workspace keeps scoring it in its Python worker rather than converting it at registration).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

export const PYTHON = path.resolve(import.meta.dirname, '..', '.venv/bin/python');

/** Runs a command in `cwd`; its stdout, or an error with the end of its stderr. */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')}: ${stderr.slice(-3000)}`));
      else resolve(stdout);
    });
  });
}

/** Trains and registers the models in the workspace at `url`; the scikit-learn model is also left in `cwd/model.joblib` and its ONNX form in `cwd/model.onnx`. */
export async function registerLinearModels(url: string, cwd: string): Promise<void> {
  await run(PYTHON, ['-c', `
import mlflow, numpy as np, pandas as pd, joblib
from mlflow.models import infer_signature
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import LinearRegression
from skl2onnx import to_onnx
X = pd.DataFrame({"x1": np.arange(50) / 5.0, "x2": (np.arange(50) % 7) / 2.0})
model = LinearRegression().fit(X, 2 * X.x1 + 3 * X.x2 + 1)
sig = infer_signature(X, model.predict(X))
onx = to_onnx(model, X.to_numpy().astype(np.float32), target_opset=17)
with mlflow.start_run():
    python_only = TransformedTargetRegressor(regressor=LinearRegression(), func=np.negative, inverse_func=np.negative).fit(X, 2 * X.x1 + 3 * X.x2 + 1)
    mlflow.sklearn.log_model(python_only, name="skl", signature=sig, registered_model_name="lin-skl")
    mlflow.onnx.log_model(onx, name="onnx", signature=sig, registered_model_name="lin-onnx")
joblib.dump(model, "model.joblib")
open("model.onnx", "wb").write(onx.SerializeToString())
`], { MLFLOW_TRACKING_URI: url }, cwd);
}
