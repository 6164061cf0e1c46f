"""languages (SPEC 8.3): service.bilingual; the encoding, segments and language of each outbound message

Revision ID: 7f1a2b3c4d5e
Revises: 6a7b8c9d0e1f
Create Date: 2026-12-07 12:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7f1a2b3c4d5e"
down_revision = "6a7b8c9d0e1f"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (no batch copy of the table): on SQLite a batch rebuild of `service` would drop the
    # outcome triggers.
    op.add_column("service", sa.Column("bilingual", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("outbound_message", sa.Column("encoding", sa.String(length=8), nullable=True))
    op.add_column("outbound_message", sa.Column("segments", sa.Integer(), nullable=True))
    op.add_column("outbound_message", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    # SQLite 3.35+ drops a column in place, keeping the outcome triggers (a batch copy would lose them).
    op.execute("ALTER TABLE outbound_message DROP COLUMN language")
    op.execute("ALTER TABLE outbound_message DROP COLUMN segments")
    op.execute("ALTER TABLE outbound_message DROP COLUMN encoding")
    op.execute("ALTER TABLE service DROP COLUMN bilingual")
