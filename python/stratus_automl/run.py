"""An Azure ML AutoML job (classification, regression or forecasting), searched by FLAML.

    python -m stratus_automl.run --settings '<json>' --training-data <mltable> [--validation-data <mltable>]
        [--test-data <mltable>] --best-model <folder>

Runs inside the job's MLflow run (MLFLOW_RUN_ID): every trial becomes a child run with its
algorithm, hyperparameters and metrics (Azure's metric names); the parent run gets the best
trial's metrics, `automl_best_child_run_id` and the test metrics; the best model, refitted on
all the training data, is written to --best-model as an MLflow model with a signature.
"""
import argparse
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from stratus_automl import mltable

# Azure's primary metrics; every one of them is higher-is-better except the errors.
LOWER_IS_BETTER = {"normalized_root_mean_squared_error", "normalized_mean_absolute_error"}


def fail(message):
    print(f"AutoML: {message}", file=sys.stderr)
    sys.exit(2)


def classification_metrics(y_true, y_pred, proba, labels):
    from sklearn import metrics as m
    out = {
        "accuracy": m.accuracy_score(y_true, y_pred),
        "precision_score_weighted": m.precision_score(y_true, y_pred, average="weighted", zero_division=0),
        "recall_score_macro": m.recall_score(y_true, y_pred, average="macro", zero_division=0),
        "f1_score_weighted": m.f1_score(y_true, y_pred, average="weighted", zero_division=0),
    }
    n = max(len(labels), 2)
    out["norm_macro_recall"] = max(0.0, (out["recall_score_macro"] - 1 / n) / (1 - 1 / n))
    if proba is not None and len(set(y_true)) > 1:
        try:
            if proba.shape[1] == 2:
                out["AUC_weighted"] = m.roc_auc_score(y_true, proba[:, 1])
                out["average_precision_score_weighted"] = m.average_precision_score(y_true == labels[1], proba[:, 1])
            else:
                out["AUC_weighted"] = m.roc_auc_score(y_true, proba, multi_class="ovr", average="weighted", labels=labels)
                onehot = np.stack([np.asarray(y_true) == l for l in labels], axis=1)
                out["average_precision_score_weighted"] = m.average_precision_score(onehot, proba, average="weighted")
        except ValueError:
            pass
    return out


def regression_metrics(y_true, y_pred, y_range):
    from scipy.stats import spearmanr
    from sklearn import metrics as m
    rmse = math.sqrt(m.mean_squared_error(y_true, y_pred))
    mae = m.mean_absolute_error(y_true, y_pred)
    spread = y_range or 1.0
    return {
        "r2_score": m.r2_score(y_true, y_pred),
        "root_mean_squared_error": rmse,
        "normalized_root_mean_squared_error": rmse / spread,
        "mean_absolute_error": mae,
        "normalized_mean_absolute_error": mae / spread,
        "spearman_correlation": float(spearmanr(y_true, y_pred).statistic) if len(set(np.asarray(y_pred).tolist())) > 1 else 0.0,
    }


def featurize(frame, settings):
    """featurization: auto (FLAML's own handling), off (columns as given), custom (column types set first)."""
    feat = settings.get("featurization") or {}
    for column, kind in (feat.get("column_name_and_types") or {}).items():
        if column not in frame:
            continue
        if kind == "Categorical":
            frame[column] = frame[column].astype(str).astype("category")
        elif kind == "Numeric":
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        elif kind == "DateTime":
            frame[column] = pd.to_datetime(frame[column], errors="coerce")
    for column in feat.get("drop_columns") or []:
        frame = frame.drop(columns=[column], errors="ignore")
    return frame


def split(frame, target, what):
    if target not in frame.columns:
        fail(f"target_column_name '{target}' is not a column of {what} (its columns: {', '.join(map(str, frame.columns))})")
    if len(frame) == 0:
        fail(f"{what} has no rows")
    frame = frame[frame[target].notna()]
    return frame.drop(columns=[target]), frame[target]


def in_time_order(frame, forecast, what):
    """A series: its time column as times, its rows in time order, each time once."""
    column = forecast["time_column_name"]
    if column not in frame.columns:
        fail(f"forecasting.time_column_name '{column}' is not a column of {what} (its columns: {', '.join(map(str, frame.columns))})")
    frame = frame.assign(**{column: pd.to_datetime(frame[column], errors="coerce")})
    if frame[column].isna().any():
        fail(f"{what}: {int(frame[column].isna().sum())} rows of '{column}' are not times")
    repeated = frame[column].duplicated()
    if repeated.any():
        fail(f"{what}: '{column}' repeats {frame[column][repeated].iloc[0]}; one series per job, each time once")
    return frame.sort_values(column).reset_index(drop=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--settings", required=True)
    ap.add_argument("--training-data", required=True)
    ap.add_argument("--validation-data")
    ap.add_argument("--test-data")
    ap.add_argument("--best-model", required=True)
    args = ap.parse_args()
    s = json.loads(args.settings)
    task, target, primary = s["task"], s["target_column_name"], s["primary_metric"]
    # FLAML's estimator → Azure's algorithm name (the settings list both, in the same order).
    names = dict(zip(s["estimators"], s["training"]["allowed_training_algorithms"]))

    forecast = s.get("forecasting")
    prepare = (lambda frame, what: in_time_order(frame, forecast, what)) if forecast else (lambda frame, what: frame)
    train = prepare(featurize(mltable.read(args.training_data), s), "training_data")
    X, y = split(train, target, "training_data")
    X_val = y_val = None
    if args.validation_data:
        X_val, y_val = split(prepare(featurize(mltable.read(args.validation_data), s), "validation_data"), target, "validation_data")
    if task == "classification" and y.nunique() < 2:
        fail(f"classification needs at least two classes in '{target}'; training_data has {y.nunique()}")
    if task != "classification" and not pd.api.types.is_numeric_dtype(y):
        fail(f"regression needs a numeric target; '{target}' holds {y.dtype}")
    labels = sorted(y.unique().tolist()) if task == "classification" else None
    y_range = float(y.max() - y.min()) if task != "classification" else None
    if forecast and len(X) < 2 * forecast["forecast_horizon"] + 2:
        fail(f"forecasting {forecast['forecast_horizon']} periods ahead needs more than twice as many rows of history; training_data has {len(X)}")
    print(f"AutoML {task}: {len(X)} rows, {X.shape[1]} features, target '{target}', primary metric {primary}", flush=True)

    def metric(X_v, y_v, estimator, labels_, X_t, y_t, *rest, **kw):
        if y_v is None:  # a time series: FLAML passes its dataset, the held-out targets inside
            y_v = X_v.y_val
        pred = estimator.predict(X_v)
        if task == "classification":
            proba = estimator.predict_proba(X_v) if hasattr(estimator, "predict_proba") else None
            values = classification_metrics(np.asarray(y_v), pred, proba, labels)
        else:
            values = regression_metrics(np.asarray(y_v), pred, y_range)
        value = values.get(primary, float("nan"))
        # FLAML minimises the loss: an error as it is, a score negated.
        return (value if primary in LOWER_IS_BETTER else -value), values

    limits = s.get("limits") or {}
    training = s.get("training") or {}
    estimators = s["estimators"]
    log_file = os.path.join(tempfile.mkdtemp(), "trials.jsonl")
    fit = dict(task="ts_forecast" if forecast else task, metric=metric, estimator_list=estimators, time_budget=float(limits.get("timeout_minutes", 15)) * 60,
               log_file_name=log_file, log_type="all", verbose=0, ensemble=bool(training.get("enable_stack_ensemble", False)),
               early_stop=bool(limits.get("enable_early_termination", True)), seed=int(s.get("seed", 0)), mlflow_logging=False)
    if limits.get("max_trials"):
        fit["max_iter"] = int(limits["max_trials"])
    if forecast:
        fit.update(period=forecast["forecast_horizon"], time_col=forecast["time_column_name"])
    if X_val is not None:
        fit.update(X_val=X_val, y_val=y_val)
    elif s.get("n_cross_validations"):
        fit.update(eval_method="cv", n_splits=int(s["n_cross_validations"]))
    elif s.get("validation_data_size"):
        fit.update(eval_method="holdout", split_ratio=float(s["validation_data_size"]))

    import mlflow
    from flaml import AutoML
    mlflow.start_run()  # the job's own run (MLFLOW_RUN_ID); trials are its children
    automl = AutoML()
    started = time.time()
    automl.fit(X, y, **fit)
    print(f"AutoML: search done in {time.time() - started:.1f} s; best {names.get(automl.best_estimator, automl.best_estimator)}", flush=True)

    # Every trial a child run of the job's run, with Azure's names.
    best_child, best_value = None, None
    with open(log_file) as f:
        trials = [json.loads(line) for line in f if line.strip()]
    trials = [t for t in trials if "learner" in t]
    for i, t in enumerate(trials):
        algorithm = names.get(t["learner"], t["learner"])
        values = {k: float(v) for k, v in (t.get("logged_metric") or {}).items() if isinstance(v, (int, float)) and math.isfinite(v)}
        with mlflow.start_run(nested=True, run_name=f"{algorithm}_{i}") as child:
            mlflow.set_tags({"automl.algorithm": algorithm, "automl.trial": str(i), "automl.learner": t["learner"]})
            mlflow.log_params({k: (round(v, 8) if isinstance(v, float) else v) for k, v in (t.get("config") or {}).items()})
            mlflow.log_params({"algorithm": algorithm, "sample_size": t.get("sample_size")})
            mlflow.log_metrics({**values, "trial_time_seconds": float(t.get("trial_time", 0))})
        value = values.get(primary)
        if value is not None and (best_value is None or (value < best_value if primary in LOWER_IS_BETTER else value > best_value)):
            best_child, best_value = child.info.run_id, value

    # The best model: FLAML's AutoML object (its featurization and the refitted estimator) as an MLflow model.
    from mlflow.models import infer_signature
    sample = X.head(5)
    prediction = np.asarray(automl.predict(sample))
    os.makedirs(args.best_model, exist_ok=True)
    model_dir = os.path.join(args.best_model, "")
    if os.listdir(model_dir):
        fail(f"the best_model output folder {model_dir} is not empty")
    mlflow.sklearn.save_model(automl, model_dir, serialization_format="cloudpickle", signature=infer_signature(sample, prediction), input_example=sample)
    if best_child:
        mlflow.set_tags({"automl_best_child_run_id": best_child, "automl.best_algorithm": names.get(automl.best_estimator, automl.best_estimator)})
    if best_value is not None:
        mlflow.log_metric(primary, best_value)
    mlflow.log_metric("trials", len(trials))
    if not forecast and automl.feature_importances_ is not None and hasattr(automl, "feature_names_in_"):
        importance = sorted(zip(automl.feature_names_in_, map(float, automl.feature_importances_)), key=lambda p: -p[1])
        mlflow.log_dict({"feature_importance": [{"feature": str(n), "importance": v} for n, v in importance]}, "feature_importance.json")
    if args.test_data:
        X_test, y_test = split(prepare(featurize(mltable.read(args.test_data), s), "test_data"), target, "test_data")
        pred = np.asarray(automl.predict(X_test))
        if task == "classification":
            values = classification_metrics(np.asarray(y_test), pred, automl.predict_proba(X_test), labels)
        else:
            values = regression_metrics(np.asarray(y_test), pred, y_range)
        mlflow.log_metrics({f"test_{k}": float(v) for k, v in values.items() if math.isfinite(v)})
    print(f"AutoML: {len(trials)} trials; best {primary} = {best_value}", flush=True)
    mlflow.end_run()


if __name__ == "__main__":
    main()
