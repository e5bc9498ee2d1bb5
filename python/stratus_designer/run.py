"""Runs one built-in module as a command job step:

    python -m stratus_designer.run <module>

Its inputs (data folders and parameter values) come as the job's AZURE_ML_INPUT_<name> variables
and its outputs as AZURE_ML_OUTPUT_<name>, so parameter text (a Python script, a SQL query)
never passes through a shell. An error is one line on stderr and exit code 2.
"""
import os
import sys
import traceback

from stratus_designer.modules import MODULES


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in MODULES:
        print(f"usage: python -m stratus_designer.run <{'|'.join(sorted(MODULES))}>", file=sys.stderr)
        sys.exit(2)
    inputs = {k[len("AZURE_ML_INPUT_"):]: v for k, v in os.environ.items() if k.startswith("AZURE_ML_INPUT_")}
    outputs = {k[len("AZURE_ML_OUTPUT_"):]: v for k, v in os.environ.items() if k.startswith("AZURE_ML_OUTPUT_")}
    import mlflow
    mlflow.start_run()  # the step's own run (MLFLOW_RUN_ID)
    try:
        MODULES[sys.argv[1]](inputs, inputs, outputs)
    except (ValueError, KeyError, TypeError) as err:
        traceback.print_exc()
        print(f"{sys.argv[1]}: {err}", file=sys.stderr)
        mlflow.end_run("FAILED")
        sys.exit(2)
    mlflow.end_run()


if __name__ == "__main__":
    main()
