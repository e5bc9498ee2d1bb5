"""A Python kernel with `spark` and `sc` ready (kernel_startup.py runs before the first cell).

Started by Jupyter as ``python -m stratus_spark.kernel -f {connection_file}``: a notebook attached
to a Spark cluster (the cluster's kernel spec sets STRATUS_SPARK_MASTER), and a Databricks
``notebook_task`` run by papermill on a cluster (the job's driver environment sets it).
"""
import os
import sys

from ipykernel.kernelapp import IPKernelApp

if __name__ == "__main__":
    startup = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel_startup.py")
    IPKernelApp.launch_instance(argv=sys.argv[1:] + [f"--IPKernelApp.exec_files={startup}"])
