"""episodes keep the optional case-mix columns of the intake: age_band, sex, imd_decile (SPEC 8.1)

Episodes submitted before this revision have none of them (NULL: not given).

Revision ID: 7e3a9c51d2f8
Revises: 4c2e8a17d6b3
Create Date: 2026-12-07 07:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7e3a9c51d2f8"
down_revision = "4c2e8a17d6b3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.add_column(sa.Column("age_band", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("sex", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("imd_decile", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.drop_column("imd_decile")
        batch_op.drop_column("sex")
        batch_op.drop_column("age_band")
