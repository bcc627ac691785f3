"""The results store's tables, as SQLAlchemy Core sees them: one definition for SQLite and
PostgreSQL. The migrations (drill/store/migrations) build exactly this; the store reads and writes
through it."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, MetaData, Table, Text

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, nullable=False),
    Column("applied_at", Text, nullable=False),
)

results = Table(
    "results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", Text, nullable=False),
    Column("team", Text),
    Column("scenario", Text, nullable=False),
    Column("scenario_hash", Text),
    Column("difficulty", Text, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("contained", Integer, nullable=False),
    Column("contained_at", Text),
    Column("loss_usd", Float, nullable=False),
    Column("collateral_usd", Float, nullable=False),
    Column("score_usd", Float, nullable=False),
    Column("grade", Text, nullable=False),
    Column("bankrupt", Integer, nullable=False),
    Column("ended_at", Text, nullable=False),
    Column("ended_by", Text, nullable=False),
    Column("journal", Text),
    Column("program", Text, nullable=False),
    Column("outcome_json", Text, nullable=False),
    # schema version 2: provenance, the journal's content hash and the serve signature
    Column("source", Text),
    Column("journal_sha256", Text),
    Column("signed_by", Text),
    Column("signature", Text),
    # schema version 3: the journal's text, so it travels with the result (the host's disk may be far)
    Column("journal_text", Text),
    Index("results_board", "scenario", "difficulty", "seed", "score_usd"),
    sqlite_autoincrement=True,
)

# schema version 3: steering through the database
drills = Table(
    "drills",
    metadata,
    Column("drill_id", Text, primary_key=True),
    Column("host", Text, nullable=False),
    Column("team", Text),
    Column("scenario", Text, nullable=False),
    Column("difficulty", Text, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("served_by", Text),  # the public fingerprint of the serve key that made its token
    Column("state", Text, nullable=False),  # live, ended, gone
    Column("status_json", Text),  # the drill's last published status (its truth)
    Column("status_mac", Text),  # HMAC of status_json under the drill's token: the facilitator checks it
    Column("started_at", Text, nullable=False),
    Column("updated_at", Float, nullable=False),  # seconds since the epoch, of the last publish
)

drill_commands = Table(
    "drill_commands",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("drill_id", Text, nullable=False),
    Column("command", Text, nullable=False),
    Column("nonce", Text, nullable=False),
    Column("mac", Text, nullable=False),  # HMAC under the drill's token: proves the sender has it
    Column("issued_at", Text, nullable=False),
    Column("ok", Integer),  # the drill's answer: 1 done, 0 refused; NULL while pending
    Column("reply", Text),
    Column("answered_at", Text),
    Index("drill_commands_pending", "drill_id", "answered_at"),
    sqlite_autoincrement=True,
)
