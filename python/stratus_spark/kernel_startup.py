"""Runs in a PySpark kernel (kernel.py) before the first cell: `spark` and `sc` are ready, an
application on STRATUS_SPARK_MASTER (the attached cluster's master; local mode without one) named
after the notebook, as a Databricks notebook attached to a cluster has them."""
import os as _os

from pyspark.sql import SparkSession as _SparkSession

_notebook = _os.path.basename(_os.environ.get("JPY_SESSION_NAME", "") or "notebook")
spark = (
    _SparkSession.builder.master(_os.environ.get("STRATUS_SPARK_MASTER") or "local[*]")
    .appName(f"{_notebook} ({_os.environ.get('STRATUS_SPARK_CLUSTER', 'cluster')})")
    # Stage progress bars would fill cell outputs with carriage returns.
    .config("spark.ui.showConsoleProgress", "false")
    .getOrCreate()
)
sc = spark.sparkContext
del _os, _SparkSession, _notebook
