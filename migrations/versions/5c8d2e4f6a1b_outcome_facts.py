"""outcome facts for the dashboard at national scale (SPEC 8.5): outcome_fact, outcome_total, outcome_stale,
outcome_state, and the triggers that queue the episodes every change touches

The trigger statements are a copy of app.models.outcome.OUTCOME_TRIGGERS as of this revision (a later change
of them needs its own migration). The facts start empty: `flask stats facts rebuild` (or the scheduler) builds
them; until then the dashboard computes its figures in full, as before.

Revision ID: 5c8d2e4f6a1b
Revises: 7e3a9c51d2f8
Create Date: 2026-12-07 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5c8d2e4f6a1b"
down_revision = "7e3a9c51d2f8"
branch_labels = None
depends_on = None

POSTGRESQL = (
    "CREATE OR REPLACE FUNCTION outcome_stale_episode_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO outcome_stale (episode_id) SELECT id FROM inserted; RETURN NULL; END $$",
    "CREATE TRIGGER outcome_stale_episode_insert AFTER INSERT ON episode REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION outcome_stale_episode_insert()",
    "CREATE OR REPLACE FUNCTION outcome_stale_episode_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO outcome_stale (episode_id) SELECT id FROM deleted; RETURN NULL; END $$",
    "CREATE TRIGGER outcome_stale_episode_delete AFTER DELETE ON episode REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION outcome_stale_episode_delete()",
    "CREATE OR REPLACE FUNCTION outcome_stale_episode_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO outcome_stale (episode_id) VALUES (NEW.id); RETURN NULL; END $$",
    "CREATE TRIGGER outcome_stale_episode_update AFTER UPDATE ON episode FOR EACH ROW EXECUTE FUNCTION outcome_stale_episode_update()",
    "CREATE OR REPLACE FUNCTION outcome_stale_check_in_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO outcome_stale (episode_id) SELECT DISTINCT episode_id FROM inserted; RETURN NULL; END $$",
    "CREATE TRIGGER outcome_stale_check_in_insert AFTER INSERT ON check_in REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION outcome_stale_check_in_insert()",
    "CREATE OR REPLACE FUNCTION outcome_stale_check_in_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO outcome_stale (episode_id) SELECT DISTINCT episode_id FROM deleted; RETURN NULL; END $$",
    "CREATE TRIGGER outcome_stale_check_in_delete AFTER DELETE ON check_in REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION outcome_stale_check_in_delete()",
    "CREATE OR REPLACE FUNCTION outcome_stale_check_in_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO outcome_stale (episode_id) VALUES (OLD.episode_id), (NEW.episode_id); RETURN NULL; END $$",
    "CREATE TRIGGER outcome_stale_check_in_update AFTER UPDATE OF episode_id, offset_weeks, due_at, status, first_sent_at, closed_at, close_reason, change, change_at, duration_start, duration_at, usual_self, usual_self_at ON check_in FOR EACH ROW EXECUTE FUNCTION outcome_stale_check_in_update()",
    "CREATE OR REPLACE FUNCTION outcome_stale_opt_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP <> 'INSERT' THEN INSERT INTO outcome_stale (episode_id) SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id JOIN contact_point p ON p.contact_hash = c.phone_hash WHERE p.id = OLD.contact_point_id UNION SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id JOIN contact_point p ON p.contact_hash = c.email_hash WHERE p.id = OLD.contact_point_id; END IF; IF TG_OP <> 'DELETE' THEN INSERT INTO outcome_stale (episode_id) SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id JOIN contact_point p ON p.contact_hash = c.phone_hash WHERE p.id = NEW.contact_point_id UNION SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id JOIN contact_point p ON p.contact_hash = c.email_hash WHERE p.id = NEW.contact_point_id; END IF; RETURN NULL; END $$",
    "CREATE TRIGGER outcome_stale_opt_event AFTER INSERT OR UPDATE OR DELETE ON opt_event FOR EACH ROW EXECUTE FUNCTION outcome_stale_opt_event()",
    "CREATE OR REPLACE FUNCTION outcome_stale_client_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO outcome_stale (episode_id) SELECT e.id FROM episode e WHERE e.client_id = NEW.id; RETURN NULL; END $$",
    "CREATE TRIGGER outcome_stale_client_update AFTER UPDATE OF phone_hash, email_hash ON client FOR EACH ROW EXECUTE FUNCTION outcome_stale_client_update()",
    "CREATE OR REPLACE FUNCTION outcome_stale_contact_point_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO outcome_stale (episode_id) SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id WHERE c.phone_hash = OLD.contact_hash UNION SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id WHERE c.email_hash = OLD.contact_hash; INSERT INTO outcome_stale (episode_id) SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id WHERE c.phone_hash = NEW.contact_hash UNION SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id WHERE c.email_hash = NEW.contact_hash; RETURN NULL; END $$",
    "CREATE TRIGGER outcome_stale_contact_point_update AFTER UPDATE OF contact_hash ON contact_point FOR EACH ROW EXECUTE FUNCTION outcome_stale_contact_point_update()",
    "CREATE OR REPLACE FUNCTION outcome_stale_service_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO outcome_stale (episode_id) SELECT e.id FROM episode e WHERE e.service_id = NEW.id; RETURN NULL; END $$",
    "CREATE TRIGGER outcome_stale_service_update AFTER UPDATE OF code, area_id, timezone ON service FOR EACH ROW EXECUTE FUNCTION outcome_stale_service_update()",
    "CREATE OR REPLACE FUNCTION outcome_stale_area_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO outcome_stale (episode_id) SELECT e.id FROM episode e JOIN service s ON s.id = e.service_id WHERE s.area_id = NEW.id; RETURN NULL; END $$",
    "CREATE TRIGGER outcome_stale_area_update AFTER UPDATE OF code ON area FOR EACH ROW EXECUTE FUNCTION outcome_stale_area_update()",
)

SQLITE = (
    "CREATE TRIGGER outcome_stale_episode_insert AFTER INSERT ON episode FOR EACH ROW BEGIN INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT NEW.id AS id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id); END",
    "CREATE TRIGGER outcome_stale_episode_update AFTER UPDATE ON episode FOR EACH ROW BEGIN INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT NEW.id AS id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id); END",
    "CREATE TRIGGER outcome_stale_episode_delete AFTER DELETE ON episode FOR EACH ROW BEGIN INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT OLD.id AS id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id); END",
    "CREATE TRIGGER outcome_stale_check_in_insert AFTER INSERT ON check_in FOR EACH ROW BEGIN INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT NEW.episode_id AS id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id); END",
    "CREATE TRIGGER outcome_stale_check_in_update AFTER UPDATE OF episode_id, offset_weeks, due_at, status, first_sent_at, closed_at, close_reason, change, change_at, duration_start, duration_at, usual_self, usual_self_at ON check_in FOR EACH ROW BEGIN INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT OLD.episode_id AS id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id);INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT NEW.episode_id AS id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id); END",
    "CREATE TRIGGER outcome_stale_check_in_delete AFTER DELETE ON check_in FOR EACH ROW BEGIN INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT OLD.episode_id AS id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id); END",
    "CREATE TRIGGER outcome_stale_opt_event_insert AFTER INSERT ON opt_event FOR EACH ROW BEGIN INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id JOIN contact_point p ON p.contact_hash = c.phone_hash WHERE p.id = NEW.contact_point_id UNION SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id JOIN contact_point p ON p.contact_hash = c.email_hash WHERE p.id = NEW.contact_point_id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id); END",
    "CREATE TRIGGER outcome_stale_opt_event_update AFTER UPDATE ON opt_event FOR EACH ROW BEGIN INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id JOIN contact_point p ON p.contact_hash = c.phone_hash WHERE p.id = OLD.contact_point_id UNION SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id JOIN contact_point p ON p.contact_hash = c.email_hash WHERE p.id = OLD.contact_point_id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id);INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id JOIN contact_point p ON p.contact_hash = c.phone_hash WHERE p.id = NEW.contact_point_id UNION SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id JOIN contact_point p ON p.contact_hash = c.email_hash WHERE p.id = NEW.contact_point_id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id); END",
    "CREATE TRIGGER outcome_stale_opt_event_delete AFTER DELETE ON opt_event FOR EACH ROW BEGIN INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id JOIN contact_point p ON p.contact_hash = c.phone_hash WHERE p.id = OLD.contact_point_id UNION SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id JOIN contact_point p ON p.contact_hash = c.email_hash WHERE p.id = OLD.contact_point_id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id); END",
    "CREATE TRIGGER outcome_stale_client_update AFTER UPDATE OF phone_hash, email_hash ON client FOR EACH ROW BEGIN INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT e.id FROM episode e WHERE e.client_id = NEW.id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id); END",
    "CREATE TRIGGER outcome_stale_contact_point_update AFTER UPDATE OF contact_hash ON contact_point FOR EACH ROW BEGIN INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id WHERE c.phone_hash = OLD.contact_hash UNION SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id WHERE c.email_hash = OLD.contact_hash) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id);INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id WHERE c.phone_hash = NEW.contact_hash UNION SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id WHERE c.email_hash = NEW.contact_hash) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id); END",
    "CREATE TRIGGER outcome_stale_service_update AFTER UPDATE OF code, area_id, timezone ON service FOR EACH ROW BEGIN INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT e.id FROM episode e WHERE e.service_id = NEW.id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id); END",
    "CREATE TRIGGER outcome_stale_area_update AFTER UPDATE OF code ON area FOR EACH ROW BEGIN INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM (SELECT e.id FROM episode e JOIN service s ON s.id = e.service_id WHERE s.area_id = NEW.id) AS queued WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id); END",
)

POSTGRESQL_TRIGGERS = [
    ("outcome_stale_area_update", "area"),
    ("outcome_stale_check_in_delete", "check_in"),
    ("outcome_stale_check_in_insert", "check_in"),
    ("outcome_stale_check_in_update", "check_in"),
    ("outcome_stale_client_update", "client"),
    ("outcome_stale_contact_point_update", "contact_point"),
    ("outcome_stale_episode_delete", "episode"),
    ("outcome_stale_episode_insert", "episode"),
    ("outcome_stale_episode_update", "episode"),
    ("outcome_stale_opt_event", "opt_event"),
    ("outcome_stale_service_update", "service"),
]
POSTGRESQL_FUNCTIONS = [
    "outcome_stale_area_update",
    "outcome_stale_check_in_delete",
    "outcome_stale_check_in_insert",
    "outcome_stale_check_in_update",
    "outcome_stale_client_update",
    "outcome_stale_contact_point_update",
    "outcome_stale_episode_delete",
    "outcome_stale_episode_insert",
    "outcome_stale_episode_update",
    "outcome_stale_opt_event",
    "outcome_stale_service_update",
]
SQLITE_TRIGGERS = [
    "outcome_stale_area_update",
    "outcome_stale_check_in_delete",
    "outcome_stale_check_in_insert",
    "outcome_stale_check_in_update",
    "outcome_stale_client_update",
    "outcome_stale_contact_point_update",
    "outcome_stale_episode_delete",
    "outcome_stale_episode_insert",
    "outcome_stale_episode_update",
    "outcome_stale_opt_event_delete",
    "outcome_stale_opt_event_insert",
    "outcome_stale_opt_event_update",
    "outcome_stale_service_update",
]


def upgrade():
    op.create_table(
        "outcome_fact",
        sa.Column("episode_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("problem_group", sa.String(length=16), nullable=False),
        sa.Column("discharge_date", sa.Date(), nullable=False),
        sa.Column("tally", sa.Text(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("episode_id", name=op.f("pk_outcome_fact")),
    )
    with op.batch_alter_table("outcome_fact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outcome_fact_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outcome_fact_valid_until"), ["valid_until"], unique=False)
    op.create_table(
        "outcome_total",
        sa.Column("cell", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cell", "key", name=op.f("pk_outcome_total")),
    )
    op.create_table(
        "outcome_stale",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_stale")),
    )
    with op.batch_alter_table("outcome_stale", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outcome_stale_episode_id"), ["episode_id"], unique=False)
    op.create_table(
        "outcome_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_state")),
    )
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL if dialect == "postgresql" else SQLITE if dialect == "sqlite" else ():
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name, table in POSTGRESQL_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    elif dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("outcome_state")
    with op.batch_alter_table("outcome_stale", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_stale_episode_id"))
    op.drop_table("outcome_stale")
    op.drop_table("outcome_total")
    with op.batch_alter_table("outcome_fact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_fact_valid_until"))
        batch_op.drop_index(batch_op.f("ix_outcome_fact_service_id"))
    op.drop_table("outcome_fact")
