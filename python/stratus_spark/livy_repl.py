"""A Livy interactive session's driver: one SparkSession, statements in, results out.

Statements are Python (`pyspark`), Spark SQL (`sql`) or Scala (`spark`), all on the same
SparkSession, so a table one registers the others see.

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


class _Scala:
    """Scala statements in the same driver: Scala's own interpreter (IMain, from the scala-compiler
    jar PySpark ships) in the session's JVM, with `spark` and `sc` bound to the session's. Classes
    it compiles go to spark.repl.class.outputDir, which executors fetch from the driver, so
    closures work on a cluster too. Made on the first Scala statement."""

    def __init__(self, spark):
        import pyspark

        jvm = spark._jvm
        jars = os.path.join(os.path.dirname(pyspark.__file__), "jars")
        classpath = ":".join(os.path.join(jars, j) for j in sorted(os.listdir(jars)) if j.endswith(".jar"))
        outdir = spark.sparkContext.getConf().get("spark.repl.class.outputDir")
        settings = jvm.scala.tools.nsc.Settings()
        settings.processArgumentString(f"-classpath {classpath} -Yrepl-class-based -Yrepl-outdir {outdir}")
        self._messages = jvm.java.io.StringWriter()
        reporter = jvm.scala.tools.nsc.interpreter.shell.ReplReporterImpl(settings, jvm.java.io.PrintWriter(self._messages, True))
        self._intp = jvm.scala.tools.nsc.interpreter.IMain(settings, reporter)
        nil = getattr(self._intp, "bind$default$4")()
        self._intp.bind("spark", "org.apache.spark.sql.SparkSession", spark._jsparkSession, nil)
        self._intp.bind("sc", "org.apache.spark.SparkContext", spark._jsc.sc(), nil)
        # println in a statement writes to Scala's Console.out: point it (for this thread) at a buffer.
        console = jvm.java.lang.Class.forName("scala.Console$")
        out_var = console.getDeclaredField("outVar")
        out_var.setAccessible(True)
        self._printed = jvm.java.io.ByteArrayOutputStream()
        getattr(out_var.get(console.getField("MODULE$").get(None)), "value_$eq")(jvm.java.io.PrintStream(self._printed, True, "UTF-8"))

    def run(self, code):
        self._messages.getBuffer().setLength(0)
        self._printed.reset()
        result = self._intp.interpret(code).toString()
        text = self._printed.toString("UTF-8") + self._messages.toString()
        if result == "Success":
            return {"text/plain": text.rstrip("\n")}
        if result == "Incomplete":
            raise ScalaError("Incomplete", "the statement is incomplete", text)
        first = next((l.strip() for l in text.splitlines() if l.strip() and l.strip() != "^"), "error")
        name = first.split(":", 1)[0] if ":" in first and " " not in first.split(":", 1)[0] else "Error"
        raise ScalaError(name, first, text)


class ScalaError(Exception):
    def __init__(self, ename, evalue, text):
        super().__init__(evalue)
        self.ename, self.evalue, self.text = ename, evalue, text


def _error(count, exc):
    if isinstance(exc, ScalaError):
        return {"status": "error", "execution_count": count, "ename": exc.ename, "evalue": exc.evalue, "traceback": exc.text.splitlines(True)}
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
    scala = None
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
            elif request["kind"] == "spark":
                scala = scala or _Scala(spark)
                data = scala.run(request["code"])
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
