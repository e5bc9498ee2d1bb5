"""Runs a Databricks ``python_wheel_task`` under spark-submit.

``wheel_task.py <package_name> <entry_point> [parameters...]``, with the task's wheels on
``--py-files`` (so they are on sys.path here and on the executors). As Databricks does, the
entry point is looked up in the package's metadata (any group, console_scripts first); if the
package declares none by that name, ``<package_name>.<entry_point>()`` is called.
"""
import importlib
import importlib.metadata as metadata
import sys


def _find(package, name):
    try:
        points = metadata.distribution(package).entry_points
    except metadata.PackageNotFoundError:
        points = []
    for group in ["console_scripts"] + sorted({p.group for p in points}):
        for point in points:
            if point.group == group and point.name == name:
                return point.load()
    module = importlib.import_module(package.replace("-", "_"))
    return getattr(module, name)


def main():
    package, entry, params = sys.argv[1], sys.argv[2], sys.argv[3:]
    function = _find(package, entry)
    sys.argv = [package] + params
    result = function()
    if isinstance(result, int):
        sys.exit(result)


if __name__ == "__main__":
    main()
