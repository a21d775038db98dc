"""One error for bad command-line input: every ``flask …`` command that refuses its input prints
one line naming the field (``phone: …``, ``name: …``) on stderr and exits 2, and writes nothing."""

from __future__ import annotations

import click


class BadInput(click.ClickException):
    """Bad input on the command line: one line, exit status 2."""

    exit_code = 2
