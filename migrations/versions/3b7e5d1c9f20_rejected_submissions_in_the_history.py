"""rejected submissions in the history: submission.status, problems, problem_places

Revision ID: 3b7e5d1c9f20
Revises: 9d41c2f7a0b1
Create Date: 2026-11-23 05:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3b7e5d1c9f20"
down_revision = "9d41c2f7a0b1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=8), server_default="imported", nullable=False))
        batch_op.add_column(sa.Column("problems", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("problem_places", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("problem_places")
        batch_op.drop_column("problems")
        batch_op.drop_column("status")
