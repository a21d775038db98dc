"""The repository stands on its own: no pointer to the project's tracker or to the spec kept
outside it. Every rule id resolves in docs/handbook.md (checked in test_handbook_ids), and no
file names an issue number, a numbered contract item or the outside spec folder."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = re.compile("|".join([
    r"\b[Ii]ssue\s+#?\d",            # a tracker issue number
    r"\bContract\s+(item\s+)?\d",    # a numbered item of the outside contract
    r"\.\./" + "shared",             # the spec folder beside the repository
    r"[\"']" + r"shared[\"']",          # ... or built as a path: parent / "shared"
    r"\b(HANDBOOK|DESIGN|TWILIO|STYLE)" + r"\.md\b",
]))
TEXT_SUFFIXES = {".py", ".md", ".html", ".js", ".css", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".txt", ".sh", ""}


def tracked_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / n for n in names if (ROOT / n).suffix in TEXT_SUFFIXES and (ROOT / n).is_file()]


def test_no_file_points_to_the_tracker_or_the_outside_spec() -> None:
    hits = []
    for path in tracked_files():
        if path == Path(__file__).resolve():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if FORBIDDEN.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert hits == [], "\n".join(hits)


def test_the_pattern_catches_what_it_should() -> None:
    for line in ["see issue 7", "(Contract 8)", "read ../" + "shared/x", "HANDBOOK" + ".md", 'p.parent / "' + 'shared"']:
        assert FORBIDDEN.search(line), line
    assert not FORBIDDEN.search("the {issue} placeholder and docs/handbook.md")
