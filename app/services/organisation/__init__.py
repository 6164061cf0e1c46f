"""Areas and services: creating them, finding them, listing them for admins."""

from app.services.organisation import directory
from app.services.organisation.registry import (
    ServiceSettings,
    create_area,
    create_service,
    get_area,
    get_service,
    set_bilingual,
)

__all__ = ["ServiceSettings", "create_area", "create_service", "directory", "get_area", "get_service", "set_bilingual"]
