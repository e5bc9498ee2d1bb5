"""Azure ML's batch scoring driver: what a batch endpoint's scoring job runs.

    python -m stratus_batch.driver --input <file|folder> --output <folder> [--scoring-script score.py | --model <mlflow model>]
        [--mini-batch-size 10] [--max-concurrency 1] [--max-retries 3] [--timeout 30] [--error-threshold -1]
        [--output-action append_row|summary_only] [--output-file-name predictions.csv]

The input's files are cut into mini-batches of `mini_batch_size` files. Worker processes (at most
`max_concurrency`) each call the scoring script's `init()` once, then `run(mini_batch)` with a list
of file paths; what run() returns (a pandas DataFrame or a list) is appended, in mini-batch order,
to `output_file_name` (append_row). A mini-batch that raises or runs past `timeout` seconds is
retried up to `max_retries` times, then counted as failed; past `error_threshold` failed files the
job stops (-1: never), and a job where no mini-batch succeeded fails. Without a scoring script an
MLflow model scores every row of every file (CSV or Parquet), its predictions appended beside the
file's name; files whose columns do not fit the model's signature are refused before any worker
starts. Progress goes to stdout and to the job's metrics (progress.py). The output file appears
whole or not at all.
"""
import argparse
import importlib.util
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
import traceback

from stratus_batch.progress import Progress

_run = None


def files_of(path):
    if os.path.isfile(path):
        return [path]
    found = sorted(os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs if not f.startswith((".", "_")))
    if not found:
        raise SystemExit(f"batch scoring: {path} holds no files to score")
    return found


def mini_batches(files, size):
    return [files[i:i + size] for i in range(0, len(files), size)]


def _load_script(path):
    spec = importlib.util.spec_from_file_location("batch_score", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec.loader.exec_module(module)
    if not callable(getattr(module, "run", None)):
        raise SystemExit(f"{path} defines no run(mini_batch) function")
    return module


def _mlflow_runner(model_path):
    import mlflow.pyfunc
    import pandas as pd
    model = mlflow.pyfunc.load_model(model_path)
    # A CSV column of whole numbers reads as int64, which MLflow will not pass as a double: the
    # signature says what each column is, so such columns are widened to it first.
    signature = model.metadata.signature
    floats = [c.name for c in signature.inputs.inputs if getattr(c, "name", None) and str(getattr(c, "type", "")).lower().endswith(("double", "float"))] if signature else []

    def run(mini_batch):
        frames = []
        for f in mini_batch:
            data = pd.read_parquet(f) if f.endswith(".parquet") else pd.read_csv(f)
            for c in floats:
                if c in data.columns and pd.api.types.is_integer_dtype(data[c]):
                    data[c] = data[c].astype("float64")
            predictions = model.predict(data)
            frame = pd.DataFrame({"file": os.path.basename(f), "row": range(len(data))})
            frame["prediction"] = list(predictions.iloc[:, 0] if hasattr(predictions, "iloc") and predictions.ndim == 2 else predictions)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)
    return run


def _read_columns(path):
    import pandas as pd
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq
        return list(pq.read_schema(path).names)
    return list(pd.read_csv(path, nrows=0).columns)


def _signature_inputs(model_path):
    """The named inputs of the model's signature, read from MLmodel (importing mlflow here would cost seconds)."""
    import yaml
    with open(os.path.join(model_path, "MLmodel")) as f:
        meta = yaml.safe_load(f) or {}
    inputs = (meta.get("signature") or {}).get("inputs")
    if not inputs:
        return []
    specs = json.loads(inputs) if isinstance(inputs, str) else inputs
    return [s["name"] for s in specs if isinstance(s, dict) and s.get("name") and not s.get("optional", False)]


def check_signature(model_path, files):
    """A no-code model's input signature against every file's columns: a mismatch is said once, before scoring."""
    wanted = _signature_inputs(model_path)
    if not wanted:
        return
    for f in files:
        missing = [c for c in wanted if c not in set(_read_columns(f))]
        if missing:
            raise SystemExit(f"batch scoring: {os.path.basename(f)} does not fit the model's signature: it lacks column(s) "
                             f"{', '.join(missing)} (the model takes {', '.join(wanted)}). Nothing was scored.")


def _worker_init(script, model):
    global _run
    if script:
        module = _load_script(script)
        if hasattr(module, "init"):
            module.init()
        _run = module.run
    else:
        _run = _mlflow_runner(model)


def _score(batch, part):
    """Scores one mini-batch into its own part file (rows stay in the worker: nothing large crosses the pipe)."""
    try:
        text = _serialise(_run(batch))
        with open(part, "w") as f:
            f.write(text)
        return {"ok": True}
    except Exception:
        return {"ok": False, "error": traceback.format_exc()}


def _serialise(result):
    """Rows as text lines, as Azure's append_row writes them (a DataFrame as CSV without its header)."""
    if hasattr(result, "to_csv"):
        return result.to_csv(index=False, header=False)
    return "".join(f"{r}\n" for r in (result or []))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--scoring-script")
    ap.add_argument("--model")
    ap.add_argument("--mini-batch-size", type=int, default=10)
    ap.add_argument("--max-concurrency", type=int, default=1)
    ap.add_argument("--max-retries", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--error-threshold", type=int, default=-1)
    ap.add_argument("--output-action", choices=["append_row", "summary_only"], default="append_row")
    ap.add_argument("--output-file-name", default="predictions.csv")
    ap.add_argument("--logging-level", choices=["debug", "info", "warning"], default="info")
    a = ap.parse_args(argv)
    if not a.scoring_script and not a.model:
        raise SystemExit("batch scoring needs --scoring-script (init()/run(mini_batch)) or --model (an MLflow model)")
    if a.scoring_script and a.model:
        # Where a scoring script finds its model, as in Azure ML (the worker processes inherit it).
        os.environ["AZUREML_MODEL_DIR"] = os.path.abspath(a.model)
    files = files_of(a.input)
    if not a.scoring_script:
        check_signature(a.model, files)
    batches = mini_batches(files, max(1, a.mini_batch_size))
    progress = Progress(len(batches))
    progress.report(0, 0)
    print(f"batch scoring: {sum(map(len, batches))} files in {len(batches)} mini-batches, {a.max_concurrency} worker(s)", flush=True)
    parts = tempfile.mkdtemp(prefix="batch-parts-")
    try:
        _score_all(a, batches, parts, progress)
    finally:
        shutil.rmtree(parts, ignore_errors=True)


def _score_all(a, batches, parts, progress):
    """Runs the mini-batches on the worker pool; writes the output file whole once they are settled."""
    part = lambda i: os.path.join(parts, f"{i:08d}")  # noqa: E731
    results, failed_files, failed_batches, attempts = {}, 0, 0, {i: 0 for i in range(len(batches))}
    ctx = mp.get_context("spawn")
    with ctx.Pool(a.max_concurrency, initializer=_worker_init, initargs=(a.scoring_script, None if a.scoring_script else a.model)) as pool:
        pending = {i: pool.apply_async(_score, (b, part(i))) for i, b in enumerate(batches)}
        started = {i: time.time() for i in pending}
        while pending:
            for i in list(pending):
                job = pending[i]
                done = job.ready()
                timed_out = not done and time.time() - started[i] > a.timeout
                if not done and not timed_out:
                    continue
                outcome = job.get() if done else {"ok": False, "error": f"timed out after {a.timeout} s"}
                del pending[i]
                if outcome["ok"]:
                    results[i] = part(i)
                    if a.logging_level != "warning":
                        print(f"mini-batch {i + 1}/{len(batches)} done ({len(results)} of {len(batches)})", flush=True)
                    if a.logging_level == "debug":
                        print(f"  files: {', '.join(os.path.basename(f) for f in batches[i])}", flush=True)
                    progress.report(len(results), failed_batches)
                elif attempts[i] < a.max_retries:
                    attempts[i] += 1
                    print(f"mini-batch {i + 1} failed, retry {attempts[i]} of {a.max_retries}: {outcome['error'].strip().splitlines()[-1]}", flush=True)
                    pending[i] = pool.apply_async(_score, (batches[i], part(i)))
                    started[i] = time.time()
                else:
                    failed_files += len(batches[i])
                    failed_batches += 1
                    progress.report(len(results), failed_batches)
                    print(f"mini-batch {i + 1} failed after {a.max_retries} retries:\n{outcome['error']}", file=sys.stderr, flush=True)
                    if 0 <= a.error_threshold < failed_files:
                        pool.terminate()
                        raise SystemExit(f"batch scoring stopped: {failed_files} files failed, more than error_threshold {a.error_threshold}")
            time.sleep(0.05)
    if not results:
        raise SystemExit(f"batch scoring failed: all {len(batches)} mini-batches failed (the errors are in the log above). Nothing was written.")
    os.makedirs(a.output, exist_ok=True)
    if a.output_action == "append_row":
        tmp = os.path.join(a.output, f".{a.output_file_name}.part")
        with open(tmp, "w") as out:
            for i in sorted(results):
                with open(results[i]) as f:
                    shutil.copyfileobj(f, out)
        os.replace(tmp, os.path.join(a.output, a.output_file_name))
    summary = {"mini_batches": len(batches), "succeeded": len(results), "failed_files": failed_files}
    print(f"batch scoring done: {json.dumps(summary)}", flush=True)


if __name__ == "__main__":
    main()
