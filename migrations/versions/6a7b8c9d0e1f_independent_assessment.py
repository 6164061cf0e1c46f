"""the independent telephone assessment (SPEC 8.4): episode.consent_to_call, assessment_sample and
assessment_call

Revision ID: 6a7b8c9d0e1f
Revises: 5c8d2e4f6a1b
Create Date: 2026-12-07 12:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

from app.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "6a7b8c9d0e1f"
down_revision = "5c8d2e4f6a1b"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no batch copy of the table): on SQLite a batch rebuild would drop the outcome triggers.
    op.add_column("episode", sa.Column("consent_to_call", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "assessment_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "assessment_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("text_category", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("next_try_at", UTCDateTime(), nullable=True),
        sa.Column("assessor_id", sa.Integer(), nullable=True),
        sa.Column("interview_date", sa.Date(), nullable=True),
        sa.Column("global_change", sa.String(length=16), nullable=True),
        sa.Column("still_meets_criteria", sa.String(length=8), nullable=True),
        sa.Column("criteria_since", sa.Date(), nullable=True),
        sa.Column("criteria_since_text", sa.String(length=100), nullable=True),
        sa.Column("usual_self", sa.String(length=8), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["assessor_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["episode_id"], ["episode.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["sample_id"], ["assessment_sample.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("episode_id", name="uq_assessment_call_episode"),
    )
    op.create_index("ix_assessment_call_sample_id", "assessment_call", ["sample_id"])
    op.create_index("ix_assessment_call_assessor_id", "assessment_call", ["assessor_id"])


def downgrade():
    op.drop_index("ix_assessment_call_assessor_id", table_name="assessment_call")
    op.drop_index("ix_assessment_call_sample_id", table_name="assessment_call")
    op.drop_table("assessment_call")
    op.drop_table("assessment_sample")
    # SQLite 3.35+ drops a column in place, keeping the outcome triggers (a batch copy would lose them).
    op.execute("ALTER TABLE episode DROP COLUMN consent_to_call")
