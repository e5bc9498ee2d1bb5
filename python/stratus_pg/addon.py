"""PL/Python side of the Stratus add-on: the workspace's registry read over its REST API, ONNX
models scored in the database with onnxruntime, one load per model per connection (kept in
PL/Python's GD), and scripts run over a query's rows as a pandas DataFrame."""
import io
import json
import urllib.parse
import urllib.request


def _state(GD, plpy):
    if "stratus" not in GD:
        cfg = {r["key"]: r["value"] for r in plpy.execute("SELECT key, value FROM ml.config")}
        GD["stratus"] = {"cfg": cfg, "models": {}}
    return GD["stratus"]


def _get(cfg, path, raw=False):
    req = urllib.request.Request(cfg["workspace_url"].rstrip("/") + path)
    if cfg.get("token"):
        req.add_header("Authorization", "Bearer " + cfg["token"])
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            body = res.read()
    except urllib.error.HTTPError as e:
        detail = e.read().decode("utf-8", "replace")
        try:
            detail = json.loads(detail).get("message", detail)
        except ValueError:
            pass
        raise RuntimeError(f"the Stratus workspace answered {e.code} for {path}: {detail}") from None
    return body if raw else json.loads(body)


def list_models(GD, plpy):
    cfg = _state(GD, plpy)["cfg"]
    for m in _get(cfg, "/api/v1/models")["value"]:
        yield (m["name"], int(m["version"]), m.get("type"), m.get("stage"), m.get("run_id"), m.get("path"),
               m.get("creation_context", {}).get("created_at"))


def _version(cfg, ref):
    name, _, rest = ref.partition("@")
    if rest:
        return _get(cfg, f"/api/v1/models/{urllib.parse.quote(name)}?label={urllib.parse.quote(rest)}")
    name, _, version = ref.partition(":")
    if version:
        return _get(cfg, f"/api/v1/models/{urllib.parse.quote(name)}/versions/{urllib.parse.quote(version)}")
    return _get(cfg, f"/api/v1/models/{urllib.parse.quote(name)}")


def _session(state, ref):
    cached = state["models"].get(ref)
    if cached is not None:
        return cached
    import onnxruntime as ort

    cfg = state["cfg"]
    mv = _version(cfg, ref)
    folder = _get(cfg, f"/api/v1/models/{urllib.parse.quote(mv['name'])}/versions/{mv['version']}/files")["path"]
    listing = _get(cfg, "/api/2.0/mlflow-artifacts/artifacts?path=" + urllib.parse.quote(folder)).get("files", [])
    onnx = [f["path"] for f in listing if f["path"].endswith(".onnx")]
    if len(onnx) != 1:
        raise RuntimeError(f"model {ref} (version {mv['version']}) has no single .onnx file: ml.predict scores ONNX models inside PostgreSQL (register one with mlflow.onnx.log_model)")
    blob = _get(cfg, "/api/2.0/mlflow-artifacts/artifacts/" + "/".join(urllib.parse.quote(p) for p in f"{folder}/{onnx[0]}".split("/")), raw=True)
    session = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
    state["models"][ref] = session
    return session


def predict(GD, plpy, ref, features):
    import numpy as np

    session = _session(_state(GD, plpy), ref)
    expected = session.get_inputs()[0].shape[-1]
    if isinstance(expected, int) and expected != len(features):
        raise RuntimeError(f"model {ref} takes {expected} features; ml.predict was given {len(features)}")
    out = session.run(None, {session.get_inputs()[0].name: np.asarray([features], dtype=np.float32)})
    return float(np.asarray(out[0]).ravel()[0])


def execute_script(GD, plpy, script, input_query):
    import pandas as pd

    namespace = {"__name__": "__main__"}
    if input_query:
        rows = plpy.execute(input_query)
        namespace["InputDataSet"] = pd.DataFrame.from_records([dict(r) for r in rows], columns=rows.colnames())
    printed = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(printed):
        exec(compile(script, "<script>", "exec"), namespace)
    for line in printed.getvalue().splitlines():
        plpy.notice(line)
    out = namespace.get("OutputDataSet")
    if out is None:
        return []
    if not isinstance(out, pd.DataFrame):
        raise RuntimeError("OutputDataSet must be a pandas DataFrame")
    return [json.dumps(r, default=str) for r in json.loads(out.to_json(orient="records"))]
