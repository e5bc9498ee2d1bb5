"""Reading a module's parameters, which arrive as text (Azure's names, the component's defaults)."""


def flag(value, default=False):
    if value is None or value == "":
        return default
    return str(value).strip().lower() in ("true", "1", "yes")


def number(value, default):
    return default if value is None or value == "" else float(value)
