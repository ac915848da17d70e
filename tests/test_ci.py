"""`.ci/run` tests a copy of the repository alone, as a user's clone would be.

CI is run here with a stand-in ``python3`` first on ``PATH``: it records where it was started
and what it found there, and exits with a chosen status, so the copy and the exit statuses are
checked without installing anything.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROBE = """#!/bin/sh
{
  echo "pwd=$(pwd)"
  echo "args=$*"
  echo "beside=$(ls -A .. | tr '\\n' ' ')"
  [ -e .venv ] && echo "venv=present"
  find . -type f | sort
} > "$CI_PROBE"
exit "$CI_PROBE_STATUS"
"""


def run_ci(tmp_path: Path, status: int, **env: str) -> tuple[subprocess.CompletedProcess[str], str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "python3"
    stub.write_text(PROBE, encoding="utf-8")
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    probe = tmp_path / "probe.txt"
    environment = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "CI_PROBE": str(probe),
        "CI_PROBE_STATUS": str(status),
        "TMPDIR": str(tmp_path),
        **env,
    }
    result = subprocess.run(
        [str(REPO / ".ci" / "run")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result, probe.read_text(encoding="utf-8")


@pytest.mark.parametrize("git", [True, False], ids=["git-checkout", "plain-directory"])
def test_ci_runs_the_test_line_in_a_copy_of_the_repository_alone(tmp_path: Path, git: bool) -> None:
    """The test line runs once, in a fresh copy: no virtualenv, nothing beside it; the copy
    is removed afterwards. Without git, the directory is copied without what git ignores."""
    env = {} if git else {"GIT_DIR": str(tmp_path / "no-git-here")}
    result, probe = run_ci(tmp_path, 0, **env)
    lines = probe.splitlines()
    copy = Path(lines[0].removeprefix("pwd="))
    assert copy.parent.parent == tmp_path and copy != REPO
    assert lines[1] == "args=-m venv .venv"
    assert lines[2] == f"beside={copy.name} ", "the copy stands alone in its directory"
    assert "venv=present" not in lines
    files = set(lines[3:])
    for needed in ("./README.md", "./pyproject.toml", "./.ci/run", "./tests/data/__init__.py"):
        assert needed in files
    assert not any("egg-info" in f or "__pycache__" in f or f.startswith("./.git/") for f in files)
    assert not copy.parent.exists(), "the copy was left behind"
    # The stand-in python3 made no virtualenv, so the checks after the tests cannot run.
    assert result.returncode != 0
    assert result.stdout.count("ci: testing a copy") == 1


def test_ci_fails_when_no_test_is_collected(tmp_path: Path) -> None:
    """pytest's exit status 5 (no tests collected) fails CI."""
    result, _ = run_ci(tmp_path, 5)
    assert result.returncode == 1
    assert "ci: pytest collected no tests" in result.stderr


def test_ci_fails_with_the_tests_status(tmp_path: Path) -> None:
    """Failing tests fail CI with pytest's status, and nothing runs after them."""
    result, _ = run_ci(tmp_path, 3)
    assert result.returncode == 3
    assert "ci: tests failed (exit 3)" in result.stderr
    assert "all checks passed" not in result.stdout
