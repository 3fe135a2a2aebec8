"""Shared fixtures: the default template, and writers for small inline forms."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"  # the project's shared folder beside the clone (not in the repository)
REALDOCS = SHARED / "realdocs"  # real Office files written by other software
REFI_SCHEMAS = SHARED / "refi-qda"  # the REFI-QDA XML schemas
CI = bool(os.environ.get("CI"))
if CI and not (REALDOCS.is_dir() and REFI_SCHEMAS.is_dir()):  # CI has ../shared beside the clone: never skip
    raise RuntimeError(f"{SHARED} is missing: the robustness tests need its real Office files and REFI-QDA schemas")
SAMPLE = ROOT / "data" / "sample"
_MISSING = (f"needs {{}}, from the project's shared folder ../shared beside the clone (real Office files "
            f"and REFI-QDA schemas, not in the repository); skipped outside CI, run in CI")


def needs(path: Path) -> Path:
    """``path`` (a file or folder of ../shared), or skip the test outside CI when it is missing."""
    if not CI and not path.exists():
        pytest.skip(_MISSING.format(path))
    return path


def real_files(*patterns: str) -> list:
    """The real Office files in ``REALDOCS`` matching the patterns, as test parameters (one
    skipped parameter, saying where they come from, when the folder is missing outside CI)."""
    files = [p for pattern in patterns for p in sorted(REALDOCS.glob(pattern))]
    if files or CI:
        return [pytest.param(p, id=p.name) for p in files]
    return [pytest.param(None, id="realdocs-missing", marks=pytest.mark.skip(reason=_MISSING.format(REALDOCS)))]
sys.path.insert(0, str(ROOT / "scripts"))


@pytest.fixture(scope="session")
def template():
    from quickscan.template import load_template

    return load_template()


@pytest.fixture
def answers(template):
    """A complete set of short answers, with paragraphs, bullets and numbered lessons."""
    a = {q.number: f"Antwoord op vraag {q.number}." for q in template.questions}
    a[1] = "Buurtcirkel Zeist, Slotlaan 12, 3701 AB Zeist"
    a[3] = "Jan Jansen, 06-12345678, j.jansen@example.org"
    a[9] = "Eerste alinea over het doel.\n\nTweede alinea:\n- punt een\n- punt twee\n\nSlot."
    a[12] = "1. Eigen verantwoordelijkheid: ja, cliënten kiezen zelf.\n\n2. Normaliseren: ook."
    a[20] = "1. Les een\n2. Les twee\n3. Les drie"
    return a


@pytest.fixture
def write_form(tmp_path, template):
    """write_form(answers, layout=1, name="T0-form.docx") -> path of a filled-in form."""
    from sample_forms import write_form as _write

    def write(answers, layout=1, name="T0-form.docx", title="Quick-scan", prompt_with_question=False):
        return _write(tmp_path / name, answers, template, layout=layout, title=title,
                      prompt_with_question=prompt_with_question)

    return write


@pytest.fixture(scope="session")
def second_process():
    """A spawned process pool of one worker, as ``quickscan report`` uses for half of the work."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


class BrokenPool:
    """An executor whose process died: every job ends in ``BrokenExecutor``."""

    def submit(self, function, *args, **kwargs):
        from concurrent.futures import BrokenExecutor, Future

        future: Future = Future()
        future.set_exception(BrokenExecutor("the process died"))
        return future
