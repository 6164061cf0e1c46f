"""The scheduler process: `python -m scheduler`. Runs apart from the web (never under gunicorn)."""
