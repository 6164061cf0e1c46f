"""api tokens expire and say why they were revoked: api_token.expires_at, revoked_reason

Tokens issued before this revision get the default lifetime from their creation (90 days), so no
old token lives for ever; one already older than that stops working at once.

Revision ID: 4c2e8a17d6b3
Revises: a5c1e7d2b9f4
Create Date: 2026-12-07 03:40:00.000000

"""

from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "4c2e8a17d6b3"
down_revision = "a5c1e7d2b9f4"
branch_labels = None
depends_on = None

#: the lifetime given to tokens that existed before expiry did (app.services.access.api_tokens.DEFAULT_DAYS)
LEGACY_DAYS = 90


def upgrade():
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", app.models.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoked_reason", sa.String(length=24), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"UPDATE api_token SET expires_at = created_at + INTERVAL '{LEGACY_DAYS} days'")
    else:
        op.execute(f"UPDATE api_token SET expires_at = datetime(created_at, '+{LEGACY_DAYS} days')")
    op.execute("UPDATE api_token SET revoked_reason = 'revoked' WHERE revoked_at IS NOT NULL")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=app.models.types.UTCDateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("revoked_reason")
        batch_op.drop_column("expires_at")
