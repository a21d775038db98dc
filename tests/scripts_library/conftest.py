"""Fixtures of the library tests: one matcher on the shipped library for the whole session."""

import pytest

from scripts_library.loader import load_library
from scripts_library.matcher import Matcher


@pytest.fixture(scope="session")
def library():
    lib, problems = load_library()
    assert problems == []
    return lib


@pytest.fixture(scope="session")
def matcher(library):
    return Matcher(library)
