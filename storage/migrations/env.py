"""Alembic environment: migrations run on a connection handed over by ``storage.engine.upgrade``
(``dt4e-bot db upgrade``, and on every start)."""

from alembic import context

from storage.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations with `dt4e-bot db upgrade`, not with the alembic command.")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
