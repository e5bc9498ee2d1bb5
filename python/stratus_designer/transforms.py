"""The data transformations a real-time inference pipeline replays on a request's rows.

Each is `apply(frame, p, state) -> frame`. A transformation that learns from its data (a column's
mean, the categories of a column, bin edges) has a `fit(frame, p) -> state` too: the training
pipeline's module fits and applies, and keeps the state beside its output (`_transform.json`), so
the inference pipeline applies what was learnt from the training data, as Azure's Apply
Transformation does, instead of learning again from one request.
"""
import json
import os
import subprocess
import tempfile

import numpy as np
import pandas as pd

from stratus_designer import dataset as ds
from stratus_designer.params import flag, number


class Transform:
    def __init__(self, input_key, output_key, apply, fit=None):
        self.input_key, self.output_key, self.apply, self.fit = input_key, output_key, apply, fit


REPLAY = {}


def replayable(name, input_key, output_key, fit=None):
    def register(apply):
        REPLAY[name] = Transform(input_key, output_key, apply, fit)
        return apply
    return register


def numeric_columns(frame, p, key):
    """The chosen columns (parameter `key`) that hold numbers, the label left alone."""
    label = frame.attrs.get("label_column")
    return [c for c in ds.columns(frame, p.get(key), key) if pd.api.types.is_numeric_dtype(frame[c]) and c != label]


def plain(value):
    """A state value as JSON keeps it (numpy scalars become Python's; NaN stays NaN)."""
    return value.item() if hasattr(value, "item") else value


@replayable("select_columns_in_dataset", "dataset", "results_dataset")
def select_columns(frame, p, state=None):
    return frame[ds.columns(frame, p.get("select_columns"), "select_columns")]


CASTS = {"String": "string", "Integer": "Int64", "Floating point": "float64", "Boolean": "boolean", "DateTime": "datetime64[ns]"}


@replayable("edit_metadata", "dataset", "results_dataset")
def edit_metadata(frame, p, state=None):
    frame = frame.copy()
    cols = ds.columns(frame, p.get("column"), "column")
    kind = p.get("data_type") or "Unchanged"
    if kind != "Unchanged":
        if kind not in CASTS:
            raise ValueError(f"data_type '{kind}': use Unchanged, {', '.join(CASTS)}")
        for c in cols:
            frame[c] = pd.to_datetime(frame[c]) if kind == "DateTime" else frame[c].astype(CASTS[kind])
    if (p.get("categorical") or "Unchanged") in ("Make categorical", "Categorical"):
        for c in cols:
            frame[c] = frame[c].astype("category")
    fields = p.get("fields") or "Unchanged"
    label = frame.attrs.get("label_column")
    if fields == "Label":
        label = cols[0]
    elif fields == "Clear label" and label in cols:
        label = None
    names = [n.strip() for n in (p.get("new_column_names") or "").split(",") if n.strip()]
    if names:
        if len(names) != len(cols):
            raise ValueError(f"new_column_names has {len(names)} names for {len(cols)} columns")
        frame = frame.rename(columns=dict(zip(cols, names)))
        label = dict(zip(cols, names)).get(label, label)
    frame.attrs["label_column"] = label
    return frame


CLEANING_MODES = ("Custom substitution value", "Replace with mean", "Replace with median", "Replace with mode", "Remove entire row", "Remove entire column")


def fit_clean_missing_data(frame, p):
    cols = ds.columns(frame, p.get("columns_to_be_cleaned"), "columns_to_be_cleaned")
    low, high = number(p.get("minimum_missing_value_ratio"), 0.0), number(p.get("maximum_missing_value_ratio"), 1.0)
    cols = [c for c in cols if low <= frame[c].isna().mean() <= high]
    mode = p.get("cleaning_mode") or "Custom substitution value"
    if mode not in CLEANING_MODES:
        raise ValueError(f"cleaning_mode '{mode}': use {', '.join(CLEANING_MODES[:-1])} or {CLEANING_MODES[-1]}")
    if mode == "Remove entire column":
        return {"columns": [c for c in cols if frame[c].isna().any()]}
    if mode == "Remove entire row":
        return {"columns": cols}
    values = {}
    for c in cols:
        if mode == "Replace with mean":
            values[c] = frame[c].mean()
        elif mode == "Replace with median":
            values[c] = frame[c].median()
        elif mode == "Replace with mode":
            values[c] = frame[c].mode().iloc[0] if frame[c].notna().any() else None
        else:
            raw = p.get("replacement_value") or "0"
            values[c] = pd.to_numeric(raw) if pd.api.types.is_numeric_dtype(frame[c]) else raw
    return {"values": {c: plain(v) for c, v in values.items()}}


@replayable("clean_missing_data", "dataset", "cleaned_dataset", fit=fit_clean_missing_data)
def clean_missing_data(frame, p, state):
    mode = p.get("cleaning_mode") or "Custom substitution value"
    if mode == "Remove entire column":
        return frame.drop(columns=[c for c in state["columns"] if c in frame.columns])
    if mode == "Remove entire row":
        # The label is no reason to drop a row that is being scored.
        return frame.dropna(subset=[c for c in state["columns"] if c in frame.columns and c != frame.attrs.get("label_column")])
    frame = frame.copy()
    for c, value in state["values"].items():
        # A request's missing label is not data to make up.
        if c in frame.columns and value is not None and c != frame.attrs.get("label_column"):
            frame[c] = frame[c].fillna(value)
    return frame


NORMALIZERS = ("ZScore", "MinMax", "Logistic", "LogNormal", "Tanh")


def fit_normalize_data(frame, p):
    method = p.get("transformation_method") or "ZScore"
    if method not in NORMALIZERS:
        raise ValueError(f"transformation_method '{method}': use {', '.join(NORMALIZERS)}")
    scales = {}
    for c in numeric_columns(frame, p, "columns_to_transform"):
        x = frame[c].astype(float)
        if method == "ZScore":
            scales[c] = [plain(x.mean()), plain(x.std(ddof=0)) or 1.0]
        elif method == "MinMax":
            scales[c] = [plain(x.min()), plain(x.max() - x.min()) or 1.0]
        else:
            scales[c] = None
    return {"scales": scales}


@replayable("normalize_data", "dataset", "transformed_dataset", fit=fit_normalize_data)
def normalize_data(frame, p, state):
    method = p.get("transformation_method") or "ZScore"
    frame = frame.copy()
    for c, scale in state["scales"].items():
        x = frame[c].astype(float)
        if method in ("ZScore", "MinMax"):
            frame[c] = (x - scale[0]) / scale[1]
        elif method == "Logistic":
            frame[c] = 1 / (1 + np.exp(-x))
        elif method == "LogNormal":
            frame[c] = np.log(x.clip(lower=1e-12))
        else:
            frame[c] = np.tanh(x)
    return frame


def fit_clip_values(frame, p):
    which = p.get("set_of_thresholds") or "ClipPeaks"
    if which not in ("ClipPeaks", "ClipSubpeaks", "ClipPeaksAndSubpeaks"):
        raise ValueError("set_of_thresholds: use ClipPeaks, ClipSubpeaks or ClipPeaksAndSubpeaks")
    percentile = (p.get("threshold") or "Constant") == "Percentile"
    limits = {}
    for c in numeric_columns(frame, p, "list_of_columns"):
        x = frame[c].astype(float)
        upper = x.quantile(number(p.get("percentile_value_for_upper_threshold"), 99) / 100) if percentile else number(p.get("constant_value_for_upper_threshold"), 99)
        lower = x.quantile(number(p.get("percentile_value_for_lower_threshold"), 1) / 100) if percentile else number(p.get("constant_value_for_lower_threshold"), 0)
        substitute = {"Threshold": None, "Mean": x.mean(), "Median": x.median(), "Missing": float("nan")}
        limit = {}
        if which in ("ClipPeaks", "ClipPeaksAndSubpeaks"):
            value = substitute.get(p.get("upper_substitute_value") or "Threshold")
            limit["upper"] = [plain(upper), plain(upper if value is None else value)]
        if which in ("ClipSubpeaks", "ClipPeaksAndSubpeaks"):
            value = substitute.get(p.get("lower_substitute_value") or "Threshold")
            limit["lower"] = [plain(lower), plain(lower if value is None else value)]
        limits[c] = limit
    return {"limits": limits}


@replayable("clip_values", "dataset", "results_dataset", fit=fit_clip_values)
def clip_values(frame, p, state):
    frame = frame.copy()
    for c, limit in state["limits"].items():
        x = frame[c].astype(float)
        if "upper" in limit:
            x = x.where(~(x > limit["upper"][0]), limit["upper"][1])
        if "lower" in limit:
            x = x.where(~(x < limit["lower"][0]), limit["lower"][1])
        frame[c if flag(p.get("overwrite_flag"), True) else f"{c}_clipped"] = x
    return frame


def fit_convert_to_indicator_values(frame, p):
    cols = [c for c in ds.columns(frame, p.get("categorical_columns_to_convert"), "categorical_columns_to_convert")
            if c != frame.attrs.get("label_column") and not pd.api.types.is_float_dtype(frame[c])]
    return {"categories": {c: sorted(frame[c].dropna().astype(str).unique().tolist()) for c in cols}}


@replayable("convert_to_indicator_values", "dataset", "results_dataset", fit=fit_convert_to_indicator_values)
def convert_to_indicator_values(frame, p, state):
    indicators = {}
    for c, categories in state["categories"].items():
        text = frame[c].astype("string")
        for value in categories:
            indicators[f"{c}-{value}"] = (text == value).fillna(False).astype(int)
    out = pd.concat([frame.drop(columns=list(state["categories"])) if flag(p.get("overwrite_categorical_columns")) else frame,
                     pd.DataFrame(indicators, index=frame.index)], axis=1)
    out.attrs.update(frame.attrs)
    return out


def fit_group_data_into_bins(frame, p):
    bins = int(number(p.get("number_of_bins"), 10))
    mode = p.get("binning_mode") or "Quantiles"
    if mode not in ("Quantiles", "Equal Width"):
        raise ValueError("binning_mode: use Quantiles or Equal Width")
    edges = {}
    for c in numeric_columns(frame, p, "columns_to_bin"):
        if mode == "Quantiles":
            _, found = pd.qcut(frame[c], q=bins, retbins=True, duplicates="drop")
        else:
            _, found = pd.cut(frame[c], bins=bins, retbins=True)
        # Open at both ends, so a value outside what training saw falls in the first or last bin.
        edges[c] = [-np.inf, *[float(e) for e in found[1:-1]], np.inf]
    return {"edges": edges}


@replayable("group_data_into_bins", "dataset", "quantized_dataset", fit=fit_group_data_into_bins)
def group_data_into_bins(frame, p, state):
    binned = {c: pd.cut(frame[c], bins=edges, labels=False) for c, edges in state["edges"].items()}
    output = p.get("output_mode") or "Append"
    if output == "Inplace":
        frame = frame.copy()
        for c, b in binned.items():
            frame[c] = b
        return frame
    if output == "ResultOnly":
        return pd.DataFrame(binned, index=frame.index)
    out = frame.assign(**{f"{c}_quantized": b for c, b in binned.items()})
    out.attrs.update(frame.attrs)
    return out


# The scripted transformations: in a training pipeline their other inputs may be joined; an
# inference pipeline replays them over the request's rows as their first input.

def run_sql(p, tables):
    import duckdb
    query = p.get("sql_query_script") or ""
    if not query.strip():
        raise ValueError("sql_query_script is empty: write a query over t1, t2 and t3")
    con = duckdb.connect()
    for name, frame in tables.items():
        if frame is not None:
            con.register(name, frame)
    return con.execute(query).df()


@replayable("apply_sql_transformation", "t1", "result_dataset")
def apply_sql_transformation(frame, p, state=None):
    return run_sql(p, {"t1": frame})


def run_python(p, dataframe1, dataframe2):
    namespace = {}
    exec(compile(p.get("python_script") or "", "<python_script>", "exec"), namespace)
    if "azureml_main" not in namespace:
        raise ValueError("python_script must define azureml_main(dataframe1 = None, dataframe2 = None)")
    result = namespace["azureml_main"](dataframe1, dataframe2)
    first = result[0] if isinstance(result, tuple) else result
    if not isinstance(first, pd.DataFrame):
        raise ValueError("azureml_main must return a pandas DataFrame (or a tuple whose first item is one)")
    return first


@replayable("execute_python_script", "dataframe1", "result_dataset")
def execute_python_script(frame, p, state=None):
    return run_python(p, frame, None)


# R, as Azure's Execute R Script calls it: azureml_main <- function(dataframe1, dataframe2), data as CSV.
R_RUNNER = r"""
args <- commandArgs(trailingOnly = TRUE)
read <- function(f) if (file.exists(f)) read.csv(f, stringsAsFactors = FALSE, check.names = FALSE) else NULL
dataframe1 <- read(args[1]); dataframe2 <- read(args[2])
source(args[3])
result <- azureml_main(dataframe1, dataframe2)
if (is.list(result) && !is.data.frame(result)) result <- result[[1]]
if (!is.data.frame(result)) stop("azureml_main must return a data.frame (or a list whose first item is one)")
write.csv(result, args[4], row.names = FALSE)
"""


def run_r(p, dataframe1, dataframe2):
    work = tempfile.mkdtemp()
    names = []
    for k, frame in (("dataframe1", dataframe1), ("dataframe2", dataframe2)):
        f = os.path.join(work, f"{k}.csv")
        if frame is not None:
            frame.to_csv(f, index=False)
        names.append(f)
    script, runner, out = os.path.join(work, "script.R"), os.path.join(work, "runner.R"), os.path.join(work, "result.csv")
    with open(script, "w") as f:
        f.write(p.get("r_script") or "")
    with open(runner, "w") as f:
        f.write(R_RUNNER)
    done = subprocess.run(["Rscript", "--vanilla", runner, *names, script, out], capture_output=True, text=True)
    said = done.stdout + done.stderr
    print(said, end="")
    if done.returncode != 0:
        raise ValueError(f"the R script failed: {said.strip().splitlines()[-1] if said.strip() else done.returncode}")
    return pd.read_csv(out)


@replayable("execute_r_script", "dataframe1", "result_dataset")
def execute_r_script(frame, p, state=None):
    return run_r(p, frame, None)


# What a module keeps beside its output for the inference pipeline.

TRANSFORM_FILE = "_transform.json"


def keep(folder, module, received, state):
    """Writes what the inference pipeline needs to replay `module`: the columns it received (the
    web service's input schema when it is the first step) and what it learnt."""
    with open(os.path.join(folder, TRANSFORM_FILE), "w") as f:
        json.dump({"module": module, "input_schema": ds.schema_of(received), "state": state}, f, indent=1)


def replay(steps, frame):
    """Applies an inference pipeline's steps ({module, params, state}) in order."""
    for step in steps:
        label = frame.attrs.get("label_column")
        out = REPLAY[step["module"]].apply(frame, step["params"], step.get("state"))
        if label in out.columns and "label_column" not in out.attrs:
            out.attrs["label_column"] = label
        frame = out
    return frame
