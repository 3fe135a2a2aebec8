"""Shared fixtures: the default template, and writers for small inline forms."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REALDOCS = ROOT.parent / "shared" / "realdocs"
if os.environ.get("CI") and not REALDOCS.is_dir():  # CI has ../shared beside the clone: never skip silently
    raise RuntimeError(f"{REALDOCS} is missing: the robustness tests need the real Office files")
SAMPLE = ROOT / "data" / "sample"
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

    def write(answers, layout=1, name="T0-form.docx", title="Quick-scan"):
        return _write(tmp_path / name, answers, template, layout=layout, title=title)

    return write
