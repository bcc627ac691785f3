"""Schema version 2: each result's provenance, its journal's content hash and the serve signature.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS = ("source", "journal_sha256", "signed_by", "signature")


def upgrade() -> None:
    for name in _COLUMNS:
        op.add_column("results", sa.Column(name, sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("results") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
