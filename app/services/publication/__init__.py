"""What leaves the building: frozen public releases and commissioners' monthly reports."""

from app.services.publication import releases, reports

__all__ = ["releases", "reports"]
