"""The no-code scoring script for MLflow models (deployments with an MLflow model and no score.py).

Accepts Azure ML's payload {"input_data": {"columns", "index", "data"}} (answered with a plain list of
predictions, as Azure ML does) and MLflow's own serving formats dataframe_split, dataframe_records,
instances and inputs (answered with {"predictions": ...}, as `mlflow models serve` does). Input that
does not match the model signature is a 400 naming the problem.
"""
import json
import os

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException


class BadRequest(Exception):
    status_code = 400


model = None


def init():
    global model
    model = mlflow.pyfunc.load_model(os.environ["STRATUS_MLFLOW_MODEL_PATH"])
    print(f"loaded MLflow model from {os.environ['STRATUS_MLFLOW_MODEL_PATH']}")


def _frame(spec, what):
    if isinstance(spec, dict):
        if "data" not in spec:
            raise BadRequest(f"'{what}' needs 'data' (and optionally 'columns' and 'index').")
        return pd.DataFrame(spec["data"], columns=spec.get("columns"), index=spec.get("index"))
    if isinstance(spec, list):
        return pd.DataFrame(spec)
    raise BadRequest(f"'{what}' must be an object with columns/index/data or a list of rows.")


def _parse(payload):
    if not isinstance(payload, dict):
        raise BadRequest("The request body must be a JSON object such as {\"input_data\": {\"columns\": [...], \"data\": [[...]]}}.")
    if "input_data" in payload:
        return _frame(payload["input_data"], "input_data"), "azure"
    if "dataframe_split" in payload:
        return _frame(payload["dataframe_split"], "dataframe_split"), "mlflow"
    if "dataframe_records" in payload:
        records = payload["dataframe_records"]
        if not isinstance(records, list):
            raise BadRequest("'dataframe_records' must be a list of objects.")
        return pd.DataFrame(records), "mlflow"
    for key in ("instances", "inputs"):
        if key in payload:
            value = payload[key]
            if isinstance(value, list) and value and isinstance(value[0], dict):
                return pd.DataFrame(value), "mlflow"
            if isinstance(value, dict):
                return {k: np.asarray(v) for k, v in value.items()}, "mlflow"
            return np.asarray(value), "mlflow"
    raise BadRequest("The request must hold one of: input_data, dataframe_split, dataframe_records, instances, inputs.")


def _jsonable(preds):
    if isinstance(preds, pd.DataFrame):
        return preds.to_dict(orient="records")
    if isinstance(preds, pd.Series):
        return preds.tolist()
    if hasattr(preds, "tolist"):
        return preds.tolist()
    return preds


def run(raw_data):
    try:
        payload = json.loads(raw_data)
    except ValueError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}")
    data, style = _parse(payload)
    try:
        preds = model.predict(data)
    except MlflowException as exc:
        # Schema enforcement failures name the missing or mistyped column.
        raise BadRequest(f"The input does not match the model signature: {exc.message}")
    except (ValueError, TypeError, KeyError) as exc:
        raise BadRequest(f"The model could not score this input: {exc}")
    result = _jsonable(preds)
    return result if style == "azure" else {"predictions": result}
