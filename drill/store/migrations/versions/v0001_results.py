"""Schema version 1: the results table and the schema version table (drill 0.1's SQLite store).

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schema_version",
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("applied_at", sa.Text, nullable=False),
    )
    op.create_table(
        "results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("recorded_at", sa.Text, nullable=False),
        sa.Column("team", sa.Text),
        sa.Column("scenario", sa.Text, nullable=False),
        sa.Column("scenario_hash", sa.Text),
        sa.Column("difficulty", sa.Text, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("contained", sa.Integer, nullable=False),
        sa.Column("contained_at", sa.Text),
        sa.Column("loss_usd", sa.Float, nullable=False),
        sa.Column("collateral_usd", sa.Float, nullable=False),
        sa.Column("score_usd", sa.Float, nullable=False),
        sa.Column("grade", sa.Text, nullable=False),
        sa.Column("bankrupt", sa.Integer, nullable=False),
        sa.Column("ended_at", sa.Text, nullable=False),
        sa.Column("ended_by", sa.Text, nullable=False),
        sa.Column("journal", sa.Text),
        sa.Column("program", sa.Text, nullable=False),
        sa.Column("outcome_json", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("results_board", "results", ["scenario", "difficulty", "seed", "score_usd"])


def downgrade() -> None:
    op.drop_index("results_board", "results")
    op.drop_table("results")
    op.drop_table("schema_version")
