"""pytest-bdd step definitions for the acceptance gate (features/), grouped by subject."""
