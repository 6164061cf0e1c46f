"""submissions: dry runs in the history (a wider status) and the whole problem list, encrypted

Revision ID: a5c1e7d2b9f4
Revises: 3b7e5d1c9f20
Create Date: 2026-12-07 04:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a5c1e7d2b9f4"
down_revision = "3b7e5d1c9f20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=8),
            type_=sa.String(length=16),
            existing_nullable=False,
            existing_server_default="imported",
        )
        batch_op.add_column(sa.Column("problem_report", sa.Text(), nullable=True))


def downgrade():
    op.execute("DELETE FROM submission WHERE status IN ('checked', 'check_failed')")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("problem_report")
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=16),
            type_=sa.String(length=8),
            existing_nullable=False,
            existing_server_default="imported",
        )
