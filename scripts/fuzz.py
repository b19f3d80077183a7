"""`make fuzz`: the spec fuzz test (tests/api/test_spec_fuzz.py) as a long run, every phase and many
examples per operation, in every version inboxd draws (2.7 to 2.16, each against its own
description), and its result written into docs/fuzzing.md (between the "last run" markers; the
rest of that page is written by hand).

    .venv/bin/python scripts/fuzz.py                  # FUZZ_EXAMPLES=150 by default, every version
    FUZZ_EXAMPLES=1000 FUZZ_SEED=7 .venv/bin/python scripts/fuzz.py
    FUZZ_VERSIONS=2.10,2.16 .venv/bin/python scripts/fuzz.py

Both databases are fuzzed when INBOXD_TEST_POSTGRES_URL is set, as in `make test`. The exit code is
pytest's: a finding fails `make fuzz`, and docs/fuzzing.md says what it was.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "fuzzing.md"
START, END = "<!-- last run: start (scripts/fuzz.py) -->", "<!-- last run: end -->"
PHASES = "examples,coverage,fuzzing"


def main() -> int:
    examples = int(os.environ.get("FUZZ_EXAMPLES", "150"))
    seed = int(os.environ.get("FUZZ_SEED", "20260101"))
    versions = os.environ.get("FUZZ_VERSIONS", "")  # empty: every version
    with tempfile.TemporaryDirectory() as tmp:
        stats, junit = Path(tmp) / "answers.jsonl", Path(tmp) / "junit.xml"
        env = {
            **os.environ,
            "INBOXD_FUZZ_EXAMPLES": str(examples),
            "INBOXD_FUZZ_SEED": str(seed),
            "INBOXD_FUZZ_PHASES": PHASES,
            "INBOXD_FUZZ_STATS": str(stats),
        }
        if versions:
            env["INBOXD_FUZZ_VERSIONS"] = versions
        command = [sys.executable, "-m", "pytest", "tests/api/test_spec_fuzz.py", "-q", "-p", "no:cacheprovider"]
        started = time.monotonic()
        result = subprocess.run([*command, f"--junitxml={junit}"], cwd=ROOT, env=env)
        seconds = time.monotonic() - started
        lines = stats.read_text(encoding="utf-8").splitlines() if stats.exists() else []
        answers = [json.loads(line) for line in lines]
        passed, skipped, findings = _results(junit)
    report = _report(examples, seed, versions, seconds, answers, passed, skipped, findings)
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{report}\n{END}{tail}", encoding="utf-8")
    print(f"wrote the last run to {DOC.relative_to(ROOT)}")
    return result.returncode


def _results(junit: Path) -> tuple[int, int, list[tuple[str, str]]]:
    """(passed, skipped, [(test, what failed)]) from pytest's JUnit XML."""
    findings, skipped, passed = [], 0, 0
    for case in ET.parse(junit).getroot().iter("testcase") if junit.exists() else ():
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        if failure is not None:
            # Schemathesis lists each distinct failure as "- ST201 Schema-violating request accepted".
            text = (failure.text or "").splitlines()
            kinds = [line.strip(" |-") for line in text if line.strip(" |").startswith("- ")]
            findings.append((case.get("name", "?"), "; ".join(dict.fromkeys(kinds)) or failure.get("message", "")))
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, skipped, findings


def _report(
    examples: int,
    seed: int,
    versions: str,
    seconds: float,
    answers: list[dict[str, dict[str, dict[str, int]]]],
    passed: int,
    skipped: int,
    findings: list[tuple[str, str]],
) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True)
    engines = [engine for run in answers for engine in run]
    totals: Counter[str] = Counter()
    per_version: dict[str, Counter[str]] = {}
    for run in answers:
        for per_operation in run.values():
            for label, counts in per_operation.items():
                totals.update(counts)
                per_version.setdefault(label.split(" ", 1)[0], Counter()).update(counts)
    lines = [
        f"- **Command:** `make fuzz` (`FUZZ_EXAMPLES={examples} FUZZ_SEED={seed}`): pytest on "
        f"`tests/api/test_spec_fuzz.py` with `INBOXD_FUZZ_PHASES={PHASES}`"
        + (f", `FUZZ_VERSIONS={versions}`" if versions else "")
        + ".",
        f"- **Date:** {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {seconds:.0f} s; inboxd at "
        f"`{commit.stdout.strip() or '?'}`{' with uncommitted changes in src/' if dirty.stdout.strip() else ''}; "
        f"schemathesis {metadata.version('schemathesis')}.",
        f"- **Databases:** {', '.join(engines) or 'none'}"
        + (" (PostgreSQL skipped: INBOXD_TEST_POSTGRES_URL not set)" if "postgres" not in engines else "")
        + ".",
        f"- **Examples:** up to {examples} generated per operation and mode (valid, invalid) in the fuzzing phase, "
        f"plus the examples and coverage phases; {sum(totals.values()):,} requests in all, answered "
        + ", ".join(f"{kind} × {count:,}" for kind, count in sorted(totals.items()))
        + ".",
        f"- **Versions:** {versions.replace(',', ', ') if versions else 'every one, 2.7 to 2.16'}; requests per "
        "version (both databases): "
        + ", ".join(
            f"{version} {sum(counts.values()):,}" for version, counts in sorted(per_version.items(), key=_version_order)
        )
        + ".",
        f"- **Result:** {passed} operation runs passed, {len(findings)} failed, {skipped} skipped.",
    ]
    if findings:
        lines.append("- **Findings:**")
        lines += [f"  - `{name}`: {message.strip()[:300] or '(no message)'}" for name, message in findings]
    else:
        lines.append("- **Findings:** none.")
    return "\n".join(lines)


def _version_order(item: tuple[str, object]) -> tuple[int, ...]:
    return tuple(int(part) for part in item[0].split("."))


if __name__ == "__main__":
    sys.exit(main())
