"""Render the fictional forms of the second instrument (the monitor of the seven challenges)
from ``data/monitor/source.yaml`` into Word forms in all layouts.

    python scripts/render_monitor.py        # writes data/monitor/T0 and T1

The template is ``templates/monitor-uitdagingen.yaml``; forms take the layouts in turn
(a praktijk's T1 form another layout than its T0 form). Rendering twice gives identical files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from sample_forms import LAYOUTS, write_form  # noqa: E402

from quickscan.template import load_template  # noqa: E402

FOLDER = ROOT / "data" / "monitor"
TEMPLATE = ROOT / "templates" / "monitor-uitdagingen.yaml"
WAVES = ("T0", "T1")


def render(folder: Path = FOLDER) -> list[Path]:
    template = load_template(TEMPLATE)
    source = yaml.safe_load((FOLDER / "source.yaml").read_text("utf-8"))
    written = []
    for i, praktijk in enumerate(source["praktijken"], start=1):
        for w, wave in enumerate(WAVES):
            if wave not in praktijk:
                continue
            answers = {int(q): str(a).strip() for q, a in praktijk[wave].items()}
            layout = LAYOUTS[(i + 2 * w) % len(LAYOUTS)]
            path = folder / wave / f"{i:02d}-{praktijk['key']}.docx"
            path.parent.mkdir(parents=True, exist_ok=True)
            written.append(write_form(path, answers, template, layout=layout, title=f"{template.title} {wave}"))
    return written


if __name__ == "__main__":
    for path in render():
        print(path.relative_to(ROOT))
