"""A Livy interactive session's driver: one SparkSession, statements in, results out.

Stratus starts this in the stratus-spark environment (``python -m stratus_spark.livy_repl``)
for each ``POST /livy/sessions``. Statements arrive as JSON lines on stdin
(``{"id": 0, "kind": "pyspark", "code": "..."}``); each result goes back as one JSON line in
Livy's statement-output shape (``{"status": "ok", "execution_count": 0, "data": {...}}`` or
``{"status": "error", "ename", "evalue", "traceback"}``) on the protocol stream — the process's
original stdout. Everything else (Spark's log, print() from native code) goes to stderr, which
is the session's log. SIGINT cancels the running statement (PySpark cancels its Spark jobs).
"""
import ast
import contextlib
import io
import json
import os
import sys
import traceback

# Keep the protocol stream to ourselves: fd 1 becomes the log, the protocol a private copy.
_protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), encoding="utf-8", write_through=True)

SQL_ROWS = int(os.environ.get("STRATUS_LIVY_SQL_ROWS", "1000"))


def _send(message):
    _protocol.write(json.dumps(message, default=str) + "\n")
    _protocol.flush()


def _start_spark():
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(os.environ.get("STRATUS_LIVY_APP_NAME", "livy-session"))
    master = os.environ.get("STRATUS_SPARK_MASTER")
    if master:
        builder = builder.master(master)
    for key, value in json.loads(os.environ.get("STRATUS_LIVY_CONF", "{}")).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _run_python(code, namespace):
    """Runs the cell; the value of a final expression is shown, as in a notebook."""
    tree = ast.parse(code, "<stdin>", "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        exec(compile(tree, "<stdin>", "exec"), namespace)
        if last is not None:
            value = eval(compile(last, "<stdin>", "eval"), namespace)
            if value is not None:
                print(repr(value))
    return {"text/plain": captured.getvalue().rstrip("\n")}


def _run_sql(code, spark):
    df = spark.sql(code)
    rows = [list(r) for r in df.take(SQL_ROWS)]
    return {"application/json": {"schema": json.loads(df.schema.json()), "data": rows}}


def _error(count, exc):
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    # The REPL's own frames are noise to the user.
    lines = [l for l in lines if __file__ not in l]
    return {"status": "error", "execution_count": count, "ename": type(exc).__name__, "evalue": str(exc), "traceback": lines}


def main():
    try:
        spark = _start_spark()
    except BaseException as exc:  # the session is dead; say why
        _send({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        raise
    namespace = {"__name__": "__main__", "spark": spark, "sc": spark.sparkContext, "sqlContext": spark}
    _send({"ready": True, "appId": spark.sparkContext.applicationId, "uiUrl": spark.sparkContext.uiWebUrl})
    while True:
        try:
            line = sys.stdin.readline()
        except KeyboardInterrupt:  # a cancel that came as the statement finished
            continue
        if not line:
            break
        if not line.strip():
            continue
        request = json.loads(line)
        count = request["id"]
        try:
            if request["kind"] == "sql":
                data = _run_sql(request["code"], spark)
            else:
                data = _run_python(request["code"], namespace)
            _send({"id": count, "output": {"status": "ok", "execution_count": count, "data": data}})
        except KeyboardInterrupt:
            _send({"id": count, "cancelled": True, "output": _error(count, KeyboardInterrupt("the statement was cancelled"))})
        except BaseException as exc:  # SystemExit included: a cell may not end the session
            _send({"id": count, "output": _error(count, exc)})
    spark.stop()


if __name__ == "__main__":
    main()
