"""pytest plugin: ``--postgres`` runs the Django test suite on an ephemeral PostgreSQL cluster."""
