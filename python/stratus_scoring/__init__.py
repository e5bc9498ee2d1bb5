"""Stratus's scoring harness: runs a user's score.py (init() once, run() per request) in a worker process."""
