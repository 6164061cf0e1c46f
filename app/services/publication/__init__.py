"""What leaves the building: frozen public releases and commissioners' monthly reports."""

from app.services.publication import figure_charts, releases, reports

__all__ = ["figure_charts", "releases", "reports"]
