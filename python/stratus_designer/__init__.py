"""Stratus's built-in designer modules (Azure ML designer's, by name), run as command components."""
