"""The synthetic demo: seeding it, simulated people and their year of replies, and exploring it by hand."""

from app.services.demo import explore, simulation
from app.services.demo.seeding import (
    AREAS,
    CLIENTS_PER_SERVICE,
    SERVICES,
    database_is_empty,
    is_demo_database,
    seed,
    synthetic_discharge_csv,
)

__all__ = [
    "AREAS",
    "CLIENTS_PER_SERVICE",
    "SERVICES",
    "database_is_empty",
    "explore",
    "is_demo_database",
    "seed",
    "simulation",
    "synthetic_discharge_csv",
]
