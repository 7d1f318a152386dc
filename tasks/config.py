"""Edit, check and back up config/config.toml."""
from invoke import task


@task
def validate(c, path=None):
    """Check a config file against the schema (default: the project's config)."""
    raise SystemExit("not implemented yet")
