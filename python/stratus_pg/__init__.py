"""The Stratus add-on for PostgreSQL: what its PL/Python functions (ml.predict, ml.models,
ml.execute_script) call. `stratus sql install --postgres URL` puts this package in a virtual
environment of its own, which the functions add to the server's Python path."""
