"""Every command line of the README works as written on a fresh clone after ``./run.sh nightly``:
each ``./run.sh`` line names a verb run.sh has; each ``./run.sh carbon …`` line parses with the
real ``carbon`` parser (sub-command exists, every argument valid, files named exist); each
``./run.sh python`` line names a script that exists (or is valid Python for ``-c``); the
pass-throughs really run; no line needs ``uv`` on PATH."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from carbon.cli import COMMANDS, parse_only
from carbon.config import REPO_ROOT

README = REPO_ROOT / "README.md"


def command_lines() -> list[str]:
    """Shell lines of the README's ``sh`` code blocks, comments and line continuations joined."""
    text = README.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```(?:sh|bash|shell)\n(.*?)```", text, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            words = shlex.split(line, comments=True)
            if words:
                out.append(words)
    return out


LINES = command_lines()


def run_sh_verbs() -> set[str]:
    text = (REPO_ROOT / "run.sh").read_text()
    case = text[text.index('case "$cmd" in') :]
    return {
        v for arm in re.findall(r"^\s*([a-z|]+)\)\s*$", case, flags=re.M) for v in arm.split("|")
    }


def test_the_readme_has_command_lines_and_none_needs_uv_on_path():
    assert len(LINES) >= 10
    for words in LINES:
        assert words[0] in ("./run.sh", "export"), words  # not `uv …`, `carbon …`, `python …`


@pytest.mark.parametrize("words", LINES, ids=[" ".join(w)[:60] for w in LINES])
def test_each_readme_line_refers_to_what_exists(words, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)  # the README's paths are relative to the clone
    if words[0] == "export":
        assert re.fullmatch(r"CARBON_[A-Z_]+=.+", words[1]), words
        return
    assert words[1] in run_sh_verbs(), words
    verb, rest = words[1], words[2:]
    if verb == "carbon":
        if rest in (["--help"], []) or rest[-1] == "--help":
            return
        path, ctx = parse_only(rest)  # click.UsageError on a bad argument or command
        assert path and path[0] in COMMANDS, words
        if path[0] == "airflow":
            assert ctx.params.get("airflow_args") or ctx.args, words
    elif verb == "python":
        if rest[0] == "-c":
            compile(rest[1], "<README>", "exec")
        else:
            assert (REPO_ROOT / rest[0]).is_file(), rest[0]


def test_paths_the_readme_names_exist():
    text = README.read_text(encoding="utf-8")
    named = set(
        re.findall(
            r"`((?:carbon|dags|docs|benchmarks|scenarios|models|tests|optimizers)/[\w./-]*)`", text
        )
    )
    assert len(named) >= 5
    for p in sorted(named):
        assert (REPO_ROOT / p).exists(), p


def test_run_sh_passes_through_to_the_locked_environment():
    r = subprocess.run(
        ["./run.sh", "carbon", "ledgers", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0 and "reopen-month" in r.stdout, r.stderr
    r = subprocess.run(
        ["./run.sh", "python", "-c", "import carbon, sys; print(sys.prefix)"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0 and r.stdout.strip().endswith(".venv"), (r.stdout, r.stderr)
    r = subprocess.run(
        ["./run.sh", "bogus"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 2 and "carbon|python|uv" in r.stderr
