"""What leaves the building: frozen public releases and commissioners' monthly reports."""

from app.services.publication import figure_charts, packages, releases, reports, signing

__all__ = ["figure_charts", "packages", "releases", "reports", "signing"]
