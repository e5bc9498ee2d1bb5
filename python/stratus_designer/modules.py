"""The built-in modules. Each takes its inputs (folders), its parameters (Azure's names, as text)
and its output folders; MODULES maps a module's component name to its function."""
import io
import json
import os

import numpy as np
import pandas as pd

from stratus_designer import dataset as ds
from stratus_designer import transforms
from stratus_designer.params import flag, number

MODULES = {}


def module(name):
    def register(fn):
        MODULES[name] = fn
        return fn
    return register


# Data input and output

@module("enter_data_manually")
def enter_data_manually(i, p, o):
    fmt = (p.get("data_format") or "CSV").upper()
    text = p.get("data") or ""
    if not text.strip():
        raise ValueError("Enter Data Manually needs data: the rows, as CSV (a header line first when has_header is true)")
    header = 0 if flag(p.get("has_header"), True) else None
    frame = pd.read_csv(io.StringIO(text), sep="\t" if fmt == "TSV" else ",", header=header)
    ds.write(frame, o["dataset"])


@module("import_data")
def import_data(i, p, o):
    source = p.get("data_source") or ("SQL query" if p.get("sql_query") else "Data asset")
    if source == "SQL query":
        # The workspace's own SQL engine (docs/sql.md), as the job's MLflow client reaches the workspace.
        import requests
        base = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
        token = os.environ.get("MLFLOW_TRACKING_TOKEN")
        res = requests.post(f"{base}/api/v1/sql/export", json={"query": p["sql_query"], "format": "csv"},
                            headers={"Authorization": f"Bearer {token}"} if token else {}, timeout=600)
        if res.status_code != 200:
            raise ValueError(f"the SQL query failed: {res.text[:2000]}")
        frame = pd.read_csv(io.StringIO(res.text))
    elif source == "URL":
        frame = pd.read_csv(p["url"])
    else:
        if not i.get("input_data"):
            raise ValueError("Import Data from a data asset needs the input_data input")
        frame = ds.read(i["input_data"])
    ds.write(frame, o["output_data"])


# Data transformation: the row-wise ones are in transforms.py, replayed by inference pipelines.

def _transformation(name, t):
    def run_module(i, p, o):
        frame = ds.read(i[t.input_key])
        state = t.fit(frame, p) if t.fit else None
        ds.write(t.apply(frame, p, state), o[t.output_key])
        transforms.keep(o[t.output_key], name, frame, state)
    return run_module


for _name, _t in transforms.REPLAY.items():
    MODULES[_name] = _transformation(_name, _t)


# The scripted ones read their other inputs too when a training pipeline joins them.

@module("apply_sql_transformation")
def apply_sql_transformation(i, p, o):
    tables = {name: ds.read(i.get(name)) for name in ("t1", "t2", "t3")}
    ds.write(transforms.run_sql(p, tables), o["result_dataset"])
    transforms.keep(o["result_dataset"], "apply_sql_transformation", tables["t1"], None)


def _script_module(name, run):
    """Execute Python/R Script: azureml_main(dataframe1, dataframe2); replayable over dataframe1."""
    def run_module(i, p, o):
        first, second = ds.read(i.get("dataframe1")), ds.read(i.get("dataframe2"))
        ds.write(run(p, first, second), o["result_dataset"])
        if first is not None:
            transforms.keep(o["result_dataset"], name, first, None)
    return run_module


MODULES["execute_python_script"] = _script_module("execute_python_script", transforms.run_python)
MODULES["execute_r_script"] = _script_module("execute_r_script", transforms.run_r)


@module("split_data")
def split_data(i, p, o):
    from sklearn.model_selection import train_test_split
    frame = ds.read(i["dataset"])
    mode = p.get("splitting_mode") or "Split Rows"
    if mode != "Split Rows":
        raise ValueError(f"splitting_mode '{mode}': Split Rows is the mode available here")
    fraction = number(p.get("fraction_of_rows_in_the_first_output_dataset"), 0.5)
    if not 0 < fraction < 1:
        raise ValueError("fraction_of_rows_in_the_first_output_dataset must be between 0 and 1")
    stratify = None
    if flag(p.get("stratified_split")):
        key = ds.columns(frame, p.get("stratification_key_column"), "stratification_key_column")[0]
        stratify = frame[key]
    first, second = train_test_split(frame, train_size=fraction, shuffle=flag(p.get("randomized_split"), True),
                                     random_state=int(number(p.get("random_seed"), 0)), stratify=stratify)
    for part in (first, second):
        part.attrs.update(frame.attrs)
    ds.write(first, o["results_dataset1"])
    ds.write(second, o["results_dataset2"])


@module("remove_duplicate_rows")
def remove_duplicate_rows(i, p, o):
    frame = ds.read(i["dataset"])
    keys = ds.columns(frame, p.get("key_column_selection_filter_expression"), "key_column_selection_filter_expression")
    ds.write(frame.drop_duplicates(subset=keys, keep="first" if flag(p.get("retain_first_duplicate_row"), True) else "last"), o["results_dataset"])


@module("join_data")
def join_data(i, p, o):
    left, right = ds.read(i["left_dataset"]), ds.read(i["right_dataset"])
    lk = ds.columns(left, p.get("join_key_columns_for_left_dataset"), "join_key_columns_for_left_dataset")
    rk = ds.columns(right, p.get("join_key_columns_for_right_dataset"), "join_key_columns_for_right_dataset")
    how = {"Inner Join": "inner", "Left Outer Join": "left", "Full Outer Join": "outer", "Left Semi-Join": "semi"}.get(p.get("join_type") or "Inner Join")
    if how is None:
        raise ValueError("join_type: use Inner Join, Left Outer Join, Full Outer Join or Left Semi-Join")
    if how == "semi":
        joined = left[left.set_index(lk).index.isin(right.set_index(rk).index)]
    else:
        joined = left.merge(right, left_on=lk, right_on=rk, how=how, suffixes=("", " (2)"))
        if not flag(p.get("keep_right_key_columns_in_joined_table"), True):
            joined = joined.drop(columns=[c for c in rk if c not in lk], errors="ignore")
    joined.attrs.update(left.attrs)
    ds.write(joined, o["results_dataset"])


@module("summarize_data")
def summarize_data(i, p, o):
    frame = ds.read(i["dataset"])
    rows = []
    for c in frame.columns:
        x = frame[c]
        numeric = pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
        rows.append({
            "Feature": c, "Count": int(x.count()), "Unique Value Count": int(x.nunique()), "Missing Value Count": int(x.isna().sum()),
            "Min": float(x.min()) if numeric else None, "Max": float(x.max()) if numeric else None,
            "Mean": float(x.mean()) if numeric else None, "Median": float(x.median()) if numeric else None,
            "Sample Standard Deviation": float(x.std()) if numeric else None, "Feature Type": "Numeric Feature" if numeric else "String Feature",
        })
    ds.write(pd.DataFrame(rows), o["result_dataset"])


# Learners: an untrained model is the learner's name and parameters; Train Model fits it.

LEARNERS = {
    "two_class_logistic_regression": ("classification", lambda p: ("sklearn.linear_model", "LogisticRegression", dict(
        C=1 / max(number(p.get("l2_regularization_weight"), 1.0), 1e-12), tol=number(p.get("optimization_tolerance"), 1e-7), max_iter=1000))),
    "multiclass_logistic_regression": ("classification", lambda p: ("sklearn.linear_model", "LogisticRegression", dict(
        C=1 / max(number(p.get("l2_regularization_weight"), 1.0), 1e-12), tol=number(p.get("optimization_tolerance"), 1e-7), max_iter=1000))),
    "two_class_boosted_decision_tree": ("classification", lambda p: ("lightgbm", "LGBMClassifier", dict(
        num_leaves=int(number(p.get("maximum_number_of_leaves_in_one_tree"), 20)), min_child_samples=int(number(p.get("minimum_number_of_samples_per_leaf_node"), 10)),
        learning_rate=number(p.get("learning_rate"), 0.2), n_estimators=int(number(p.get("number_of_trees_constructed"), 100)), verbose=-1))),
    "two_class_decision_forest": ("classification", lambda p: ("sklearn.ensemble", "RandomForestClassifier", dict(
        n_estimators=int(number(p.get("number_of_decision_trees"), 8)), max_depth=int(number(p.get("maximum_depth_of_the_decision_trees"), 32)),
        min_samples_leaf=int(number(p.get("minimum_number_of_samples_per_leaf_node"), 1))))),
    "two_class_neural_network": ("classification", lambda p: ("sklearn.neural_network", "MLPClassifier", dict(
        hidden_layer_sizes=(int(number(p.get("number_of_hidden_nodes"), 100)),), learning_rate_init=number(p.get("the_learning_rate"), 0.1) / 10,
        max_iter=int(number(p.get("number_of_learning_iterations"), 100))))),
    "two_class_support_vector_machine": ("classification", lambda p: ("sklearn.svm", "LinearSVC", dict(
        C=1 / max(number(p.get("lambda"), 0.001), 1e-12), max_iter=int(number(p.get("number_of_iterations"), 1000))))),
    "linear_regression": ("regression", lambda p: ("sklearn.linear_model", "Ridge", dict(
        alpha=number(p.get("l2_regularization_weight"), 0.001), fit_intercept=flag(p.get("include_intercept_term"), True)))),
    "boosted_decision_tree_regression": ("regression", lambda p: ("lightgbm", "LGBMRegressor", dict(
        num_leaves=int(number(p.get("maximum_number_of_leaves_in_one_tree"), 20)), min_child_samples=int(number(p.get("minimum_number_of_samples_per_leaf_node"), 10)),
        learning_rate=number(p.get("learning_rate"), 0.2), n_estimators=int(number(p.get("total_number_of_trees_constructed"), 100)), verbose=-1))),
    "decision_forest_regression": ("regression", lambda p: ("sklearn.ensemble", "RandomForestRegressor", dict(
        n_estimators=int(number(p.get("number_of_decision_trees"), 8)), max_depth=int(number(p.get("maximum_depth_of_the_decision_trees"), 32)),
        min_samples_leaf=int(number(p.get("minimum_number_of_samples_per_leaf_node"), 1))))),
    "poisson_regression": ("regression", lambda p: ("sklearn.linear_model", "PoissonRegressor", dict(
        alpha=number(p.get("l2_regularization_weight"), 1.0), tol=number(p.get("optimization_tolerance"), 1e-7), max_iter=1000))),
}


def _learner(name):
    def build(i, p, o):
        task, spec = LEARNERS[name]
        package, cls, params = spec(p)
        os.makedirs(o["untrained_model"], exist_ok=True)
        with open(os.path.join(o["untrained_model"], "learner.json"), "w") as f:
            json.dump({"learner": name, "task": task, "package": package, "class": cls, "params": params}, f, indent=1, default=list)
    return build


for _name in LEARNERS:
    MODULES[_name] = _learner(_name)


def _features(frame, label):
    """The columns a model learns from: every one but the label and earlier scores."""
    return frame.drop(columns=[c for c in [label, *frame.attrs.get("score_columns", [])] if c in frame.columns])


def _pipeline(learner, X):
    """The learner behind the designer's own preparation: numbers imputed, text and categories one-hot encoded."""
    import importlib
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])]
    other = [c for c in X.columns if c not in numeric]
    prep = ColumnTransformer([
        ("numeric", SimpleImputer(strategy="mean"), numeric),
        ("categorical", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), other),
    ])
    estimator = getattr(importlib.import_module(learner["package"]), learner["class"])(**{k: tuple(v) if isinstance(v, list) else v for k, v in learner["params"].items()})
    return Pipeline([("prepare", prep), ("model", estimator)])


def _training(i, p, key="dataset"):
    learner = json.load(open(os.path.join(i["untrained_model"], "learner.json")))
    if learner["task"] == "clustering":
        raise ValueError("a clustering learner (K-Means Clustering) is trained by Train Clustering Model and applied by Assign Data to Clusters")
    frame = ds.read(i[key])
    label = p.get("label_column") or frame.attrs.get("label_column")
    if not label:
        raise ValueError("this module needs label_column: the column to predict")
    label = ds.columns(frame, label, "label_column")[0]
    frame = frame[frame[label].notna()]
    return learner, frame, label, _features(frame, label), frame[label]


def _save_trained(model, learner, label, X, folder):
    import mlflow
    from mlflow.models import infer_signature
    mlflow.sklearn.save_model(model, folder, serialization_format="cloudpickle", signature=infer_signature(X.head(5), model.predict(X.head(5))))
    with open(os.path.join(folder, "designer.json"), "w") as f:
        json.dump({"learner": learner["learner"], "task": learner["task"], "label_column": label, "feature_columns": list(X.columns),
                   "classes": [str(c) for c in getattr(model, "classes_", [])]}, f, indent=1)


@module("train_model")
def train_model(i, p, o):
    import mlflow
    learner, frame, label, X, y = _training(i, p)
    _save_trained(_pipeline(learner, X).fit(X, y), learner, label, X, o["trained_model"])
    mlflow.log_params({"learner": learner["learner"], "label_column": label, **{f"model.{k}": v for k, v in learner["params"].items()}})


def score_frame(model, info, frame, append=True):
    """Score Model's table: the dataset with Scored Labels (and Scored Probabilities) added."""
    missing = [c for c in info["feature_columns"] if c not in frame.columns]
    if missing:
        raise ValueError(f"the dataset lacks the model's feature columns {', '.join(missing)}")
    X = frame[info["feature_columns"]]
    scores = pd.DataFrame({"Scored Labels": model.predict(X)}, index=frame.index)
    if info["task"] == "classification" and hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        if proba.shape[1] == 2:
            scores["Scored Probabilities"] = proba[:, 1]
        else:
            for k, c in enumerate(model.classes_):
                scores[f"Scored Probabilities_{c}"] = proba[:, k]
    out = pd.concat([frame, scores], axis=1) if append else scores
    out.attrs["label_column"] = info["label_column"] if info["label_column"] in out.columns else None
    out.attrs["score_columns"] = list(scores.columns)
    return out


def load_trained(folder):
    import mlflow
    return mlflow.sklearn.load_model(folder), json.load(open(os.path.join(folder, "designer.json")))


@module("score_model")
def score_model(i, p, o):
    model, info = load_trained(i["trained_model"])
    out = score_frame(model, info, ds.read(i["dataset"]), flag(p.get("append_score_columns_to_output"), True))
    ds.write(out, o["scored_dataset"], label_column=out.attrs["label_column"], score_columns=out.attrs["score_columns"])


def _evaluate(frame):
    from sklearn import metrics as m
    label = frame.attrs.get("label_column")
    if not label or "Scored Labels" not in frame.columns:
        raise ValueError("Evaluate Model takes Score Model's output with its label column (score a dataset that has the label)")
    y, pred = frame[label], frame["Scored Labels"]
    if pd.api.types.is_float_dtype(y) and y.nunique() > 20:
        resid = (y - pred).to_numpy()
        values = {"Mean_Absolute_Error": m.mean_absolute_error(y, pred), "Root_Mean_Squared_Error": float(np.sqrt(m.mean_squared_error(y, pred))),
                  "Relative_Absolute_Error": float(np.abs(resid).sum() / (np.abs(y - y.mean()).sum() or 1)),
                  "Relative_Squared_Error": float((resid ** 2).sum() / (((y - y.mean()) ** 2).sum() or 1)), "Coefficient_of_Determination": m.r2_score(y, pred)}
        hist, edges = np.histogram(resid, bins=20)
        return values, {"residuals": {"counts": hist.tolist(), "edges": edges.tolist()}}
    labels = sorted(pd.unique(pd.concat([y, pred])).tolist(), key=str)
    values = {"Accuracy": m.accuracy_score(y, pred), "Precision": m.precision_score(y, pred, average="binary" if len(labels) == 2 else "macro", pos_label=labels[-1], zero_division=0),
              "Recall": m.recall_score(y, pred, average="binary" if len(labels) == 2 else "macro", pos_label=labels[-1], zero_division=0),
              "F1_Score": m.f1_score(y, pred, average="binary" if len(labels) == 2 else "macro", pos_label=labels[-1], zero_division=0)}
    plots = {"confusion_matrix": {"labels": [str(l) for l in labels], "matrix": m.confusion_matrix(y, pred, labels=labels).tolist()}}
    if "Scored Probabilities" in frame.columns and len(labels) == 2:
        positive = (y == labels[-1]).astype(int)
        score = frame["Scored Probabilities"]
        values["AUC"] = m.roc_auc_score(positive, score)
        fpr, tpr, _ = m.roc_curve(positive, score)
        precision, recall, _ = m.precision_recall_curve(positive, score)
        step = max(1, len(fpr) // 200)
        plots["roc_curve"] = {"fpr": fpr[::step].tolist(), "tpr": tpr[::step].tolist()}
        step = max(1, len(recall) // 200)
        plots["precision_recall_curve"] = {"recall": recall[::step].tolist(), "precision": precision[::step].tolist()}
    return values, plots


@module("evaluate_model")
def evaluate_model(i, p, o):
    import mlflow
    results = []
    for key in ("scored_dataset", "scored_dataset_to_compare"):
        if i.get(key):
            values, plots = _evaluate(ds.read(i[key]))
            results.append({"input": key, "metrics": {k: float(v) for k, v in values.items()}, "plots": plots})
    os.makedirs(o["evaluation_results"], exist_ok=True)
    with open(os.path.join(o["evaluation_results"], "evaluation.json"), "w") as f:
        json.dump(results, f, indent=1)
    ds.write(pd.DataFrame([{"Input": r["input"], **r["metrics"]} for r in results]), o["evaluation_results"])
    mlflow.log_metrics(results[0]["metrics"])
    if len(results) > 1:
        mlflow.log_metrics({f"{k}_compare": v for k, v in results[1]["metrics"].items()})
    mlflow.log_dict(results[0]["plots"], "evaluation_plots.json")


# More data transformation

@module("add_rows")
def add_rows(i, p, o):
    first, second = ds.read(i["dataset1"]), ds.read(i["dataset2"])
    if list(first.columns) != list(second.columns):
        raise ValueError(f"Add Rows needs the same columns in both datasets; dataset1 has {', '.join(first.columns)}, dataset2 has {', '.join(second.columns)}")
    rows = pd.concat([first, second], ignore_index=True)
    rows.attrs.update(first.attrs)
    ds.write(rows, o["results_dataset"])


@module("add_columns")
def add_columns(i, p, o):
    left, right = ds.read(i["left_dataset"]), ds.read(i["right_dataset"])
    if len(left) != len(right):
        raise ValueError(f"Add Columns needs the same number of rows in both datasets; left has {len(left)}, right has {len(right)}")
    right = right.rename(columns={c: f"{c} (2)" for c in right.columns if c in left.columns})
    both = pd.concat([left.reset_index(drop=True), right.reset_index(drop=True)], axis=1)
    both.attrs.update(left.attrs)
    ds.write(both, o["combined_dataset"])


@module("partition_and_sample")
def partition_and_sample(i, p, o):
    frame = ds.read(i["dataset"])
    mode = p.get("partition_or_sample_mode") or "Sampling"
    if mode == "Head":
        out = frame.head(int(number(p.get("number_of_rows_to_select"), 10)))
    elif mode == "Sampling":
        out = frame.sample(frac=number(p.get("rate_of_sampling"), 0.01), random_state=int(number(p.get("random_seed_for_sampling"), 0)))
    else:
        raise ValueError("partition_or_sample_mode: use Sampling or Head")
    out.attrs.update(frame.attrs)
    ds.write(out, o["outputdataset"])


@module("smote")
def smote(i, p, o):
    from imblearn.over_sampling import SMOTE
    frame = ds.read(i["samples"])
    label = ds.columns(frame, p.get("label_column") or frame.attrs.get("label_column"), "label_column")[0]
    X, y = frame.drop(columns=[label]), frame[label]
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if text:
        raise ValueError(f"SMOTE makes new rows from numbers; {', '.join(text)} hold text: convert them first (Convert to Indicator Values)")
    counts = y.value_counts()
    minority = counts.idxmin()
    target = int(counts[minority] * (1 + number(p.get("smote_percentage"), 100) / 100))
    sampler = SMOTE(sampling_strategy={minority: max(target, int(counts[minority]))}, k_neighbors=int(number(p.get("number_of_nearest_neighbors"), 1)),
                    random_state=int(number(p.get("random_seed"), 0)))
    X2, y2 = sampler.fit_resample(X, y)
    out = X2.assign(**{label: y2})[list(frame.columns)]
    ds.write(out, o["table"], label_column=label)


# Model training beyond one fit

LEARNERS["naive_bayes"] = ("classification", lambda p: ("sklearn.naive_bayes", "GaussianNB", dict(var_smoothing=number(p.get("variance_smoothing"), 1e-9))))
MODULES["naive_bayes"] = _learner("naive_bayes")

# What Tune Model Hyperparameters searches for each learner (sklearn parameter names after the pipeline's "model__").
SEARCH_SPACES = {
    "two_class_boosted_decision_tree": {"num_leaves": [8, 16, 20, 32, 64], "learning_rate": [0.05, 0.1, 0.2, 0.3], "n_estimators": [50, 100, 200], "min_child_samples": [5, 10, 20]},
    "boosted_decision_tree_regression": {"num_leaves": [8, 16, 20, 32, 64], "learning_rate": [0.05, 0.1, 0.2, 0.3], "n_estimators": [50, 100, 200], "min_child_samples": [5, 10, 20]},
    "two_class_decision_forest": {"n_estimators": [8, 16, 32, 64], "max_depth": [4, 8, 16, 32], "min_samples_leaf": [1, 2, 4, 8]},
    "decision_forest_regression": {"n_estimators": [8, 16, 32, 64], "max_depth": [4, 8, 16, 32], "min_samples_leaf": [1, 2, 4, 8]},
    "two_class_logistic_regression": {"C": [0.01, 0.1, 1.0, 10.0, 100.0]},
    "multiclass_logistic_regression": {"C": [0.01, 0.1, 1.0, 10.0, 100.0]},
    "linear_regression": {"alpha": [0.0001, 0.001, 0.01, 0.1, 1.0]},
    "two_class_support_vector_machine": {"C": [0.1, 1.0, 10.0, 100.0, 1000.0]},
    "two_class_neural_network": {"hidden_layer_sizes": [(50,), (100,), (200,)], "learning_rate_init": [0.001, 0.01, 0.05]},
    "poisson_regression": {"alpha": [0.01, 0.1, 1.0, 10.0]},
    "naive_bayes": {"var_smoothing": [1e-11, 1e-9, 1e-7, 1e-5]},
}
SCORERS = {"Accuracy": "accuracy", "Precision": "precision_macro", "Recall": "recall_macro", "F-score": "f1_macro", "AUC": "roc_auc",
           "Mean absolute error": "neg_mean_absolute_error", "Root of mean squared error": "neg_root_mean_squared_error", "Coefficient of determination": "r2"}


@module("tune_model_hyperparameters")
def tune_model_hyperparameters(i, p, o):
    import mlflow
    from sklearn.model_selection import RandomizedSearchCV
    learner, frame, label, X, y = _training(i, p, "training_dataset")
    space = {f"model__{k}": v for k, v in SEARCH_SPACES.get(learner["learner"], {}).items()}
    if not space:
        raise ValueError(f"Tune Model Hyperparameters has no search space for {learner['learner']}")
    metric = p.get("metric_for_measuring_performance_for_classification") if learner["task"] == "classification" else p.get("metric_for_measuring_performance_for_regression")
    metric = metric or ("Accuracy" if learner["task"] == "classification" else "Mean absolute error")
    if metric not in SCORERS:
        raise ValueError(f"metric '{metric}': use {', '.join(SCORERS)}")
    search = RandomizedSearchCV(_pipeline(learner, X), space, n_iter=int(number(p.get("maximum_number_of_runs_on_random_sweep"), 5)), scoring=SCORERS[metric],
                                cv=3, random_state=int(number(p.get("random_seed"), 0)), refit=True).fit(X, y)
    results = pd.DataFrame(search.cv_results_["params"]).rename(columns=lambda c: c.replace("model__", ""))
    results[metric] = search.cv_results_["mean_test_score"] * (-1 if SCORERS[metric].startswith("neg_") else 1)
    results = results.sort_values(metric, ascending=SCORERS[metric].startswith("neg_")).astype({c: str for c in results.columns if results[c].dtype == object})
    ds.write(results, o["sweep_results"])
    best = {k.replace("model__", ""): v for k, v in search.best_params_.items()}
    _save_trained(search.best_estimator_, {**learner, "params": {**learner["params"], **best}}, label, X, o["trained_best_model"])
    mlflow.log_params({f"best.{k}": v for k, v in best.items()})
    mlflow.log_metric(metric.replace(" ", "_"), float(results[metric].iloc[0]))


@module("cross_validate_model")
def cross_validate_model(i, p, o):
    import mlflow
    from sklearn.model_selection import KFold, StratifiedKFold
    learner, frame, label, X, y = _training(i, p)
    folds = int(number(p.get("number_of_folds"), 10))
    split = (StratifiedKFold if learner["task"] == "classification" else KFold)(n_splits=folds, shuffle=True, random_state=int(number(p.get("random_seed"), 0)))
    scored, by_fold = [], []
    for k, (train, test) in enumerate(split.split(X, y)):
        model = _pipeline(learner, X).fit(X.iloc[train], y.iloc[train])
        part = frame.iloc[test].assign(**{"Fold Assignments": k, "Scored Labels": model.predict(X.iloc[test])})
        if learner["task"] == "classification" and hasattr(model, "predict_proba") and len(model.classes_) == 2:
            part["Scored Probabilities"] = model.predict_proba(X.iloc[test])[:, 1]
        part.attrs.update({"label_column": label})
        values, _ = _evaluate(part)
        by_fold.append({"Fold Number": k, "Number of examples in fold": len(test), **values})
        scored.append(part)
    table = pd.DataFrame(by_fold)
    summary = table.drop(columns=["Fold Number", "Number of examples in fold"])
    table = pd.concat([table, pd.DataFrame([{"Fold Number": "Mean", **summary.mean().to_dict()}, {"Fold Number": "Standard Deviation", **summary.std().to_dict()}])], ignore_index=True)
    ds.write(pd.concat(scored).sort_index(), o["scored_results"], label_column=label, score_columns=["Fold Assignments", "Scored Labels", "Scored Probabilities"])
    ds.write(table.astype({"Fold Number": str}), o["evaluation_results_by_fold"])
    mlflow.log_metrics({f"mean_{k}": float(v) for k, v in summary.mean().items()})


@module("permutation_feature_importance")
def permutation_feature_importance(i, p, o):
    import mlflow
    from sklearn.inspection import permutation_importance
    model, info = load_trained(i["trained_model"])
    frame = ds.read(i["test_data"])
    frame = frame[frame[info["label_column"]].notna()]
    metric = p.get("metric_for_measuring_performance") or ("Accuracy" if info["task"] == "classification" else "Mean absolute error")
    if metric not in SCORERS:
        raise ValueError(f"metric_for_measuring_performance '{metric}': use {', '.join(SCORERS)}")
    result = permutation_importance(model, frame[info["feature_columns"]], frame[info["label_column"]], scoring=SCORERS[metric], n_repeats=5,
                                    random_state=int(number(p.get("random_seed"), 0)))
    table = pd.DataFrame({"Feature": info["feature_columns"], "Score": result.importances_mean}).sort_values("Score", ascending=False)
    ds.write(table, o["feature_importance"])


# Clustering: K-Means Clustering is the learner, Train Clustering Model fits it to chosen columns,
# Assign Data to Clusters labels rows with their cluster and their distance to each centre.

@module("k_means_clustering")
def k_means_clustering(i, p, o):
    init = p.get("initialization") or "K-Means++"
    if init not in ("K-Means++", "Random"):
        raise ValueError(f"initialization '{init}': use K-Means++ or Random")
    metric = p.get("metric") or "Euclidean"
    if metric != "Euclidean":
        raise ValueError(f"metric '{metric}': Euclidean is the metric scikit-learn's K-Means uses")
    centroids = int(number(p.get("number_of_centroids"), 2))
    if centroids < 2:
        raise ValueError("number_of_centroids must be at least 2")
    seed = p.get("random_number_seed")
    os.makedirs(o["untrained_model"], exist_ok=True)
    with open(os.path.join(o["untrained_model"], "learner.json"), "w") as f:
        json.dump({"learner": "k_means_clustering", "task": "clustering", "package": "sklearn.cluster", "class": "KMeans",
                   "params": {"n_clusters": centroids, "init": "k-means++" if init == "K-Means++" else "random", "n_init": 10,
                              "max_iter": int(number(p.get("iterations"), 100)), "random_state": None if seed in (None, "") else int(float(seed))},
                   "normalize_features": flag(p.get("normalize_features"), True)}, f, indent=1)


def _assign(model, info, frame, append):
    missing = [c for c in info["feature_columns"] if c not in frame.columns]
    if missing:
        raise ValueError(f"the dataset lacks the model's feature columns {', '.join(missing)}")
    X = frame[info["feature_columns"]]
    distances = model.transform(X)
    result = pd.DataFrame({"Assignments": model.predict(X)}, index=frame.index)
    for k in range(distances.shape[1]):
        result[f"DistancesToClusterCenter no.{k}"] = distances[:, k]
    out = pd.concat([frame, result], axis=1) if append else result
    out.attrs.update({"label_column": frame.attrs.get("label_column") if append else None, "score_columns": list(result.columns)})
    return out


@module("train_clustering_model")
def train_clustering_model(i, p, o):
    import mlflow
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    learner = json.load(open(os.path.join(i["untrained_model"], "learner.json")))
    if learner["task"] != "clustering":
        raise ValueError(f"Train Clustering Model trains a clustering learner (K-Means Clustering), not {learner['learner']}: use Train Model for it")
    frame = ds.read(i["dataset"])
    X = frame[ds.columns(frame, p.get("column_set"), "column_set")]
    model = _pipeline(learner, X)
    if learner.get("normalize_features", True):
        model = Pipeline([model.steps[0], ("normalize", StandardScaler(with_mean=False)), model.steps[1]])
    model.fit(X)
    mlflow.sklearn.save_model(model, o["trained_model"], serialization_format="cloudpickle",
                              signature=mlflow.models.infer_signature(X.head(5), model.predict(X.head(5))))
    info = {"learner": learner["learner"], "task": "clustering", "label_column": None, "feature_columns": list(X.columns), "classes": []}
    with open(os.path.join(o["trained_model"], "designer.json"), "w") as f:
        json.dump(info, f, indent=1)
    out = _assign(model, info, frame, flag(p.get("check_for_append_or_uncheck_for_result_only"), True))
    ds.write(out, o["results_dataset"], score_columns=out.attrs["score_columns"])
    mlflow.log_params({"learner": learner["learner"], **{f"model.{k}": v for k, v in learner["params"].items()}})
    mlflow.log_metric("inertia", float(model.steps[-1][1].inertia_))


@module("assign_data_to_clusters")
def assign_data_to_clusters(i, p, o):
    model, info = load_trained(i["trained_model"])
    if info["task"] != "clustering":
        raise ValueError(f"Assign Data to Clusters takes a trained clustering model (Train Clustering Model), not a {info['task']} model: use Score Model for it")
    out = _assign(model, info, ds.read(i["dataset"]), flag(p.get("check_for_append_or_uncheck_for_result_only"), True))
    ds.write(out, o["results_dataset"], score_columns=out.attrs["score_columns"])
