"""The web entry point (gunicorn wsgi:app, flask --app wsgi). It never starts the scheduler."""

from app import create_app

app = create_app()
