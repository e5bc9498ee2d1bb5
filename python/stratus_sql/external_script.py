"""Runs one sp_execute_external_script's Python script, as SQL Server's launchpad does.

``python -m stratus_sql.external_script <job.json>``: the input query's rows arrive as a Parquet
file and become a pandas DataFrame named ``input_data_1_name`` (default ``InputDataSet``); the
declared parameters are variables; what the script leaves in ``output_data_1_name`` (default
``OutputDataSet``) is written back as Parquet. ``print()`` output is returned as the query's
messages. Memory and CPU time are capped with setrlimit before the script starts.
"""
import contextlib
import io
import json
import resource
import sys
import traceback


def _limit(job):
    if job.get("memory_bytes"):
        resource.setrlimit(resource.RLIMIT_AS, (job["memory_bytes"], job["memory_bytes"]))
    if job.get("cpu_seconds"):
        resource.setrlimit(resource.RLIMIT_CPU, (job["cpu_seconds"], job["cpu_seconds"]))


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    import pandas as pd

    _limit(job)
    namespace = {"__name__": "__main__", **job["params"]}
    if job.get("input"):
        namespace[job["input_name"]] = pd.read_parquet(job["input"])
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(job["script"], "<script>", "exec"), namespace)
    except MemoryError:
        sys.stderr.write(f"MemoryError: the script went over its memory limit ({job.get('memory_bytes', 0) // 2**20} MB).\n")
        sys.exit(3)
    except BaseException:  # the traceback is the SQL error, as SQL Server returns it
        lines = traceback.format_exc().splitlines()
        sys.stderr.write("\n".join(l for l in lines if "stratus_sql" not in l) + "\n")
        sys.exit(1)
    finally:
        with open(job["messages"], "w", encoding="utf-8") as f:
            f.write(printed.getvalue())
    out = namespace.get(job["output_name"])
    if out is None:
        return
    if not isinstance(out, pd.DataFrame):
        sys.stderr.write(f"{job['output_name']} must be a pandas DataFrame, but the script left a {type(out).__name__}.\n")
        sys.exit(2)
    out.to_parquet(job["output"], index=False)


if __name__ == "__main__":
    main()
