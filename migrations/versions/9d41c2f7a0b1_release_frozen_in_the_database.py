"""releases frozen by the database: triggers refuse UPDATE and DELETE on release

Revision ID: 9d41c2f7a0b1
Revises: 58aae2eedaa8
Create Date: 2026-11-23 04:45:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "9d41c2f7a0b1"
down_revision = "58aae2eedaa8"
branch_labels = None
depends_on = None

# The same statements as app/models/publication.py RELEASE_GUARD (copied: a migration must not change later).
GUARD = {
    "postgresql": (
        "CREATE OR REPLACE FUNCTION release_is_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION USING MESSAGE = 'release ' || OLD.id || ' is frozen (releases never change)', "
        "ERRCODE = 'integrity_constraint_violation'; END $$",
        "CREATE TRIGGER release_frozen BEFORE UPDATE OR DELETE ON release "
        "FOR EACH ROW EXECUTE FUNCTION release_is_frozen()",
    ),
    "sqlite": (
        "CREATE TRIGGER release_frozen_update BEFORE UPDATE ON release "
        "BEGIN SELECT RAISE(ABORT, 'release is frozen (releases never change)'); END",
        "CREATE TRIGGER release_frozen_delete BEFORE DELETE ON release "
        "BEGIN SELECT RAISE(ABORT, 'release is frozen (releases never change)'); END",
    ),
}
UNGUARD = {
    "postgresql": ("DROP TRIGGER IF EXISTS release_frozen ON release", "DROP FUNCTION IF EXISTS release_is_frozen()"),
    "sqlite": ("DROP TRIGGER IF EXISTS release_frozen_update", "DROP TRIGGER IF EXISTS release_frozen_delete"),
}


def upgrade():
    for statement in GUARD.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade():
    for statement in UNGUARD.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
