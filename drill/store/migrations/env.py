"""Alembic's entry point for the results store. drill runs it programmatically (drill.store.engine)
on a connection it has already opened and locked, inside the transaction that migrates."""

from alembic import context

from drill.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
