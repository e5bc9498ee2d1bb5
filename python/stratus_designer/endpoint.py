"""The score.py of a designer real-time inference pipeline (Web Service Input → the training
pipeline's transformations, with what they learnt from the training data → Score Model → Web Service
Output), deployed to an online endpoint by "Create inference pipeline".

Requests and answers are those of Azure ML designer endpoints:

    {"Inputs": {"WebServiceInput0": [{"age": 39, ...}, ...]}, "GlobalParameters": {}}
    → {"Results": {"WebServiceOutput0": [{"age": 39, ..., "Scored Labels": ">50K", "Scored Probabilities": 0.71}, ...]}}

The model folder holds `inference.json` (the steps, the input schema) and `trained_model/` (Train
Model's MLflow model).
"""
import json
import os

import pandas as pd

from stratus_designer import transforms
from stratus_designer.modules import load_trained, score_frame

INPUT, OUTPUT = "WebServiceInput0", "WebServiceOutput0"


class BadRequest(Exception):
    status_code = 400


pipeline = None
model = None
info = None


def _bundle_folder():
    root = os.environ["AZUREML_MODEL_DIR"]
    for here, _, files in os.walk(root):
        if "inference.json" in files:
            return here
    raise RuntimeError(f"no inference.json under {root}: the model is not a designer inference pipeline")


def init():
    global pipeline, model, info
    folder = _bundle_folder()
    pipeline = json.load(open(os.path.join(folder, "inference.json")))
    model, info = load_trained(os.path.join(folder, "trained_model"))
    print(f"designer inference pipeline of job {pipeline.get('job')}: {' → '.join(s['module'] for s in pipeline['steps']) or 'no transformations'} → Score Model")


def _rows(payload):
    if not isinstance(payload, dict) or not isinstance(payload.get("Inputs"), dict):
        raise BadRequest(f'The request must be {{"Inputs": {{"{INPUT}": [{{"column": value, ...}}, ...]}}, "GlobalParameters": {{}}}}.')
    rows = payload["Inputs"].get(INPUT)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise BadRequest(f'"Inputs" must hold "{INPUT}": a list of rows, each an object of column values (it has {", ".join(payload["Inputs"]) or "nothing"}).')
    return rows


def _frame(rows):
    """The rows as the first step received its training data: its columns, in order, with its types."""
    schema = pipeline["input_schema"]
    label = pipeline.get("label_column")
    names = [c["name"] for c in schema]
    missing = sorted({c for c in names if c != label} - set().union(*[r.keys() for r in rows])) if rows else []
    if missing:
        raise BadRequest(f"Each row needs the columns {', '.join(names)}; missing: {', '.join(missing)}.")
    frame = pd.DataFrame(rows)
    for c in schema:
        name, kind = c["name"], c["type"]
        if name not in frame.columns:
            frame[name] = None
        try:
            if kind.startswith(("int", "uint")):
                values = pd.to_numeric(frame[name])
                frame[name] = values if values.isna().any() else values.astype(kind)
            elif kind.startswith(("Int", "float")):
                frame[name] = pd.to_numeric(frame[name]).astype(kind)
            elif kind == "bool":
                frame[name] = frame[name].astype("boolean")
            elif kind.startswith("datetime"):
                frame[name] = pd.to_datetime(frame[name])
            else:
                frame[name] = frame[name].astype("object").where(frame[name].notna(), None)
        except (ValueError, TypeError) as err:
            raise BadRequest(f"Column {name} holds {kind} values: {err}")
    frame = frame[names + [c for c in frame.columns if c not in names]]
    frame.attrs["label_column"] = label
    return frame


def run(raw_data):
    try:
        payload = json.loads(raw_data)
    except ValueError as err:
        raise BadRequest(f"The request body is not valid JSON: {err}")
    rows = _rows(payload)
    if not rows:
        return {"Results": {OUTPUT: []}}
    try:
        scored = score_frame(model, info, transforms.replay(pipeline["steps"], _frame(rows)), pipeline.get("append_score_columns", True))
    except (ValueError, KeyError) as err:
        raise BadRequest(f"These rows could not be scored: {err}")
    return {"Results": {OUTPUT: json.loads(scored.to_json(orient="records", date_format="iso"))}}
