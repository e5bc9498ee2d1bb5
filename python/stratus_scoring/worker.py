"""One scoring worker: imports the entry script, calls init() once, then serves run() calls.

Protocol with the Stratus server (not the user's code): requests arrive on stdin, replies leave on
file descriptor 3, each frame a 4-byte big-endian length then UTF-8 JSON. The user's prints go to
stdout/stderr, which the server keeps as the deployment's logs.

Request frame: {"id": n, "body": "<request body as text>"}
Probe frame:   {"id": n, "ping": true}, answered {"id": n, "pong": true} (liveness and readiness probes)
Reply frame:   {"id": n, "ok": true, "result": "<JSON text>"} or {"id": n, "ok": false, "error": "...", "status": 4xx|500}
The first frame after start is {"ready": true} or {"ready": false, "error": "<traceback>"}.
"""
import importlib.util
import json
import os
import struct
import sys
import time
import traceback


def _read_exact(stream, n):
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _write(out, obj):
    payload = json.dumps(obj).encode("utf-8")
    out.write(struct.pack(">I", len(payload)) + payload)
    out.flush()


class BadRequest(Exception):
    status_code = 400


def _schema_decorated(run):
    try:
        from inference_schema.schema_util import is_schema_decorated
    except ImportError:
        return False
    return is_schema_decorated(run)


def _swagger(run, script):
    """An OpenAPI 2.0 document for POST /score from the script's inference-schema decorators."""
    from inference_schema.schema_util import get_input_schema, get_output_schema

    return {
        "swagger": "2.0",
        "info": {"title": "Stratus online endpoint", "description": f"Scoring API generated from {script}", "version": "1.0"},
        "schemes": ["http"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "securityDefinitions": {"Bearer": {"type": "apiKey", "name": "Authorization", "in": "header"}},
        "paths": {
            "/score": {
                "post": {
                    "operationId": "RunMLService",
                    "security": [{"Bearer": []}],
                    "parameters": [{"name": "serviceInputPayload", "in": "body", "required": True, "schema": get_input_schema(run)}],
                    "responses": {"200": {"description": "Success", "schema": get_output_schema(run)}},
                }
            }
        },
    }


def _to_json_text(result):
    # As azureml-inference-server-http does: bytes and str pass through as JSON strings unless
    # they already hold JSON; everything else is serialised (numpy arrays via tolist()).
    if hasattr(result, "tolist"):
        result = result.tolist()
    if isinstance(result, bytes):
        result = result.decode("utf-8")
    return json.dumps(result, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))


def main():
    out = os.fdopen(3, "wb", buffering=0)
    inp = sys.stdin.buffer
    app_root = os.environ.get("AML_APP_ROOT", os.getcwd())
    script = os.environ.get("AZUREML_ENTRY_SCRIPT", "score.py")
    sys.path.insert(0, app_root)
    # Which step failed is said: importing the script, its init(), or a missing run().
    stage = f"{script} could not be imported (an error at its top level, before init())"
    # Start-up lines in the deployment's log, as azureml-inference-server-http prints them.
    started = time.time()
    print(f"Stratus scoring worker {os.getpid()}: Python {sys.version.split()[0]}, entry script {os.path.join(app_root, script)}", flush=True)
    if os.environ.get("AZUREML_MODEL_DIR"):
        print(f"AZUREML_MODEL_DIR: {os.environ['AZUREML_MODEL_DIR']}", flush=True)
    try:
        spec = importlib.util.spec_from_file_location("score", os.path.join(app_root, script))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        stage = f"init() failed in {script}"
        if hasattr(module, "init"):
            module.init()
        if not callable(getattr(module, "run", None)):
            _write(out, {"ready": False, "error": f"{script} defines no run(raw_data) function: the scoring server calls run() for every request."})
            return 1
        run = module.run
    except Exception:
        traceback.print_exc()
        _write(out, {"ready": False, "error": f"{stage}:\n{traceback.format_exc()}"})
        return 1
    print(f"init() done in {time.time() - started:.2f} s; worker {os.getpid()} serving run()", flush=True)
    decorated = _schema_decorated(run)
    _write(out, {"ready": True, "swagger": _swagger(run, script) if decorated else None})
    while True:
        header = _read_exact(inp, 4)
        if header is None:
            return 0
        (length,) = struct.unpack(">I", header)
        frame = json.loads(_read_exact(inp, length).decode("utf-8"))
        if frame.get("ping"):
            _write(out, {"id": frame["id"], "pong": True})
            continue
        try:
            if decorated:
                # inference-schema decorated run(): named parameters from the JSON body, as azmlinfsrv does.
                payload = json.loads(frame["body"])
                if not isinstance(payload, dict):
                    raise BadRequest("The request body must be a JSON object whose keys are run()'s parameters.")
                result = run(**payload)
            else:
                result = run(frame["body"])
            _write(out, {"id": frame["id"], "ok": True, "result": _to_json_text(result)})
        except Exception as exc:  # run() failed: the worker stays up and the caller gets the message
            status = getattr(exc, "status_code", 500)
            if status >= 500:
                traceback.print_exc()
            message = str(exc) if status < 500 else f"{type(exc).__name__}: {exc}"
            _write(out, {"id": frame["id"], "ok": False, "status": status, "error": message})


if __name__ == "__main__":
    sys.exit(main())
