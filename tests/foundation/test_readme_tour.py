"""The README's five-minute tour is true: each command it shows, run on a fresh database with
the default settings, prints what the README says it prints (``…`` stands for what differs
from run to run: tokens, passwords, call SIDs). The simulated calls fix their hour with
``--at``, so the hour of day the test runs at does not matter, and they give the same output
in any order."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core import clock
from core.config import HoursSettings, TelephonySettings

README = Path(__file__).resolve().parents[2] / "README.md"
FLASK = ("flask", "--app", "app")


@dataclass(frozen=True)
class Example:
    command: str
    expected: tuple[str, ...]


def tour_section(text: str) -> str:
    start = text.index("## Five-minute tour")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def tour_examples() -> list[Example]:
    """Every ``$ command`` in the tour's code blocks, with the lines shown under it."""
    examples: list[Example] = []
    for block in re.findall(r"```\n(.*?)```", tour_section(README.read_text(encoding="utf-8")), re.S):
        command, expected = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command:
                    examples.append(Example(command, tuple(expected)))
                command, expected = line[2:].strip(), []
            elif command and line.strip():
                expected.append(line)
        if command:
            examples.append(Example(command, tuple(expected)))
    return examples


EXAMPLES = tour_examples()
SIMULATED_CALLS = [e for e in EXAMPLES if e.command.startswith("flask --app app simulate call")]


def matches(expected: str, actual: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split("…"))
    return re.fullmatch(pattern, actual) is not None


def assert_shown(example: Example, output: list[str]) -> None:
    assert len(output) == len(example.expected), (example.command, output)
    for expected, actual in zip(example.expected, output, strict=True):
        assert matches(expected, actual), f"README shows:\n{expected}\nthe command printed:\n{actual}"


def piped(lines: list[str], pipe: str | None) -> list[str]:
    if pipe is None:
        return lines
    tool, count = pipe.split()[0], int(pipe.split()[1].lstrip("-"))
    return lines[-count:] if tool == "tail" else lines[:count]


def run_flask(app: Any, command: str) -> list[str]:
    """Run ``flask --app app …`` (optionally ``| tail -N`` / ``| head -N``) in-process."""
    words, _, pipe = command.partition(" | ")
    argv = shlex.split(words)
    assert tuple(argv[:3]) == FLASK, command
    result = app.test_cli_runner().invoke(args=argv[3:])
    assert result.exit_code == 0, (command, result.output)
    lines = [line for line in result.output.splitlines() if line.strip()]
    return piped(lines, pipe or None)


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """A fresh install's settings: default hours and simulator pacing, the default address."""
    return {"hours": {"open": HoursSettings().open, "timezone": HoursSettings().timezone},
            "telephony": {"simulator_calls_per_second": TelephonySettings().simulator_calls_per_second},
            "server": {"public_url": None, "host": "127.0.0.1", "port": 5000}}


def banner(app: Any, example: Example, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """What ``python app.py`` prints once bound, at the moment the README's hours line names."""
    from app import print_banner

    shown = next((re.search(r"\((\d{4}-\d\d-\d\d \d\d:\d\d) [A-Z]+\)", line) for line in example.expected
                  if line.startswith("The hotline is")), None)
    assert shown, "the tour's banner shows whether the hotline is open"
    settings = app.config["HOTLINE"]
    local = datetime.strptime(shown.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=settings.hours.zone)
    clock.follow(lambda: 0.0, start=local.astimezone(UTC).replace(tzinfo=None), app=app)
    capsys.readouterr()
    print_banner(app, settings)
    return capsys.readouterr().out.splitlines()


def test_the_tour_has_its_examples():
    commands = [e.command for e in EXAMPLES]
    assert commands[0] == "python app.py"
    assert any("users create" in c for c in commands)
    assert len(SIMULATED_CALLS) >= 4 and all("--at " in e.command for e in SIMULATED_CALLS)
    assert all(e.expected for e in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.command[:90] for e in EXAMPLES])
def test_each_tour_command_prints_what_the_readme_shows(app, example, capsys):
    if example.command == "python app.py":
        output = banner(app, example, capsys)
    else:
        output = run_flask(app, example.command)
    assert_shown(example, output)


def test_simulated_calls_give_the_same_output_in_any_order(app, make_user):
    make_user("alice")  # users already exist, as after the tour's second step
    for example in reversed(SIMULATED_CALLS):
        assert_shown(example, run_flask(app, example.command))
    for example in SIMULATED_CALLS:
        assert_shown(example, run_flask(app, example.command))
