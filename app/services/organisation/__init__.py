"""Areas and services: creating them, finding them, listing them for admins."""

from app.services.organisation import directory
from app.services.organisation.registry import (
    CLEAR,
    ServiceChanges,
    ServiceSettings,
    create_area,
    create_service,
    get_area,
    get_service,
    update_service,
)

__all__ = [
    "CLEAR",
    "ServiceChanges",
    "ServiceSettings",
    "create_area",
    "create_service",
    "directory",
    "get_area",
    "get_service",
    "update_service",
]
