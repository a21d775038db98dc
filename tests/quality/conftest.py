"""Quality tests use the console's signed-in desks and simulated callers."""

from tests.console.conftest import caller, desk  # noqa: F401  (fixtures)
