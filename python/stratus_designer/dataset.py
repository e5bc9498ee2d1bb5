"""The designer's typed data between modules: a dataset is a folder with `data.parquet` and
`_schema.json` (its columns and types, and which column is the label and which are scores); a
model is a folder with `learner.json` (untrained) or an MLflow model plus `designer.json` (trained)."""
import json
import os

import pandas as pd

SCHEMA = "_schema.json"


def read(folder):
    """A dataset input: a designer dataset folder, or any folder/file of CSV or Parquet (a data asset)."""
    if folder is None:
        return None
    if os.path.isdir(folder) and os.path.exists(os.path.join(folder, "data.parquet")):
        frame = pd.read_parquet(os.path.join(folder, "data.parquet"))
        meta = json.load(open(os.path.join(folder, SCHEMA))) if os.path.exists(os.path.join(folder, SCHEMA)) else {}
        frame.attrs.update({k: v for k, v in meta.items() if k in ("label_column", "score_columns")})
        return frame
    files = [folder] if os.path.isfile(folder) else sorted(os.path.join(r, f) for r, _, fs in os.walk(folder) for f in fs if not f.startswith((".", "_")))
    frames = []
    for f in files:
        if f.endswith(".parquet"):
            frames.append(pd.read_parquet(f))
        elif f.endswith((".csv", ".tsv", ".txt")):
            frames.append(pd.read_csv(f, sep="\t" if f.endswith(".tsv") else ","))
    if not frames:
        raise ValueError(f"{folder} holds no CSV or Parquet file to read as a dataset")
    return pd.concat(frames, ignore_index=True)


def write(frame, folder, label_column=None, score_columns=None):
    os.makedirs(folder, exist_ok=True)
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    frame.to_parquet(os.path.join(folder, "data.parquet"), index=False)
    label = label_column if label_column is not None else frame.attrs.get("label_column")
    scores = score_columns if score_columns is not None else frame.attrs.get("score_columns")
    schema = {"columns": schema_of(frame), "rows": len(frame)}
    if label in frame.columns:
        schema["label_column"] = label
    if scores:
        schema["score_columns"] = [s for s in scores if s in frame.columns]
    with open(os.path.join(folder, SCHEMA), "w") as f:
        json.dump(schema, f, indent=1)


def schema_of(frame):
    """A table's columns and their types, as `_schema.json` lists them."""
    return [{"name": str(c), "type": str(t)} for c, t in frame.dtypes.items()]


def columns(frame, selector, what="columns"):
    """Azure's column selector: its JSON rules ({"rules": [{"ruleType": "ColumnNames", "columns": [...]}]}),
    or plain names separated by commas; empty means every column."""
    if selector is None or str(selector).strip() == "":
        return list(frame.columns)
    text = str(selector).strip()
    names = []
    if text.startswith("{"):
        spec = json.loads(text)
        for rule in spec.get("rules", []):
            kind = rule.get("ruleType")
            if kind == "ColumnNames":
                names += rule.get("columns", [])
            elif kind == "AllColumns":
                names += list(frame.columns)
            elif kind == "ColumnTypes":
                kinds = set(rule.get("columnTypes", []))
                names += [c for c in frame.columns if ("Numeric" in kinds and pd.api.types.is_numeric_dtype(frame[c])) or ("String" in kinds and not pd.api.types.is_numeric_dtype(frame[c]))]
            if rule.get("exclude"):
                names = [c for c in names if c not in rule.get("columns", [])]
    else:
        names = [n.strip() for n in text.split(",") if n.strip()]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ValueError(f"{what}: no column {', '.join(missing)} in the dataset (it has {', '.join(map(str, frame.columns))})")
    return list(dict.fromkeys(names))
