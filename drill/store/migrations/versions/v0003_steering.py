"""Schema version 3: the journal travels with its result (`results.journal_text`, so a debrief or
--verify on another host needs no access to the recording host's disk), and steering through the
database. Live drills register and publish their status
(`drills`); facilitator commands travel as rows (`drill_commands`), each carrying a MAC under the
drill's token, never the token.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("results", sa.Column("journal_text", sa.Text))
    op.create_table(
        "drills",
        sa.Column("drill_id", sa.Text, primary_key=True),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("team", sa.Text),
        sa.Column("scenario", sa.Text, nullable=False),
        sa.Column("difficulty", sa.Text, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("served_by", sa.Text),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("status_json", sa.Text),
        sa.Column("status_mac", sa.Text),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "drill_commands",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("drill_id", sa.Text, nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("nonce", sa.Text, nullable=False),
        sa.Column("mac", sa.Text, nullable=False),
        sa.Column("issued_at", sa.Text, nullable=False),
        sa.Column("ok", sa.Integer),
        sa.Column("reply", sa.Text),
        sa.Column("answered_at", sa.Text),
        sqlite_autoincrement=True,
    )
    op.create_index("drill_commands_pending", "drill_commands", ["drill_id", "answered_at"])


def downgrade() -> None:
    op.drop_index("drill_commands_pending", "drill_commands")
    op.drop_table("drill_commands")
    op.drop_table("drills")
    with op.batch_alter_table("results") as batch:
        batch.drop_column("journal_text")
