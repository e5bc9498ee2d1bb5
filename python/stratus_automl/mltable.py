"""Azure ML's MLTable folder read as a pandas DataFrame: the MLTable file's `paths` (file, folder,
pattern) and its reading transformation (read_delimited, read_parquet, read_json_lines)."""
import fnmatch
import os

import pandas as pd
import yaml


def _files(folder, paths):
    files = []
    for p in paths:
        target = p.get("file") or p.get("folder") or p.get("pattern")
        if not isinstance(target, str) or "://" in target:
            raise ValueError(f"MLTable path {p!r}: only paths relative to the MLTable folder are read here")
        rel = os.path.normpath(target)
        if rel.startswith(".."):
            raise ValueError(f"MLTable path {target!r} leaves the MLTable folder")
        if "file" in p:
            files.append(os.path.join(folder, rel))
            continue
        base = rel if "folder" in p else os.path.dirname(rel)
        pattern = os.path.basename(rel) if "pattern" in p else "*"
        for name in sorted(os.listdir(os.path.join(folder, base))):
            full = os.path.join(folder, base, name)
            if name != "MLTable" and os.path.isfile(full) and fnmatch.fnmatch(name, pattern):
                files.append(full)
    return files


def read(folder):
    """The table an mltable input holds; a folder without an MLTable file is read as its CSV/Parquet files."""
    spec_file = os.path.join(folder, "MLTable")
    if os.path.isfile(folder):
        spec = {"paths": [{"file": os.path.basename(folder)}]}
        folder = os.path.dirname(folder)
    elif os.path.exists(spec_file):
        with open(spec_file) as f:
            spec = yaml.safe_load(f) or {}
    else:
        spec = {"paths": [{"folder": "."}]}
    if not spec.get("paths"):
        raise ValueError("the MLTable file needs 'paths:' with at least one file, folder or pattern")
    files = _files(folder, spec["paths"])
    if not files:
        raise ValueError(f"the MLTable paths {spec['paths']!r} match no file")
    steps = {}
    for t in spec.get("transformations") or []:
        if isinstance(t, dict):
            steps.update(t)
        elif isinstance(t, str):
            steps[t] = {}
    if "read_parquet" in steps or (not steps and all(f.endswith(".parquet") for f in files)):
        frames = [pd.read_parquet(f) for f in files]
    elif "read_json_lines" in steps:
        frames = [pd.read_json(f, lines=True) for f in files]
    else:
        opts = steps.get("read_delimited") or {}
        header = opts.get("header", "all_files_same_headers")
        frames = [pd.read_csv(f, sep=opts.get("delimiter", ","), encoding=opts.get("encoding", "utf8").replace("utf8", "utf-8"),
                              header=None if header == "no_header" else 0) for f in files]
    table = pd.concat(frames, ignore_index=True)
    keep = (steps.get("keep_columns") or None)
    if keep:
        table = table[list(keep)]
    drop = steps.get("drop_columns")
    if drop:
        table = table.drop(columns=list(drop))
    return table
