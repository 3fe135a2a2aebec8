"""Render the fictional sample data from its YAML source into Word forms and Excel workbooks.

    python scripts/render_sample.py            # writes data/sample/T0, T1 and workbooks/

Each pilot is one YAML file in ``data/sample/source``. Forms use the five layouts in turn
(and a pilot's T1 form often has another layout than its T0 form: another interviewer).
Rendering twice gives identical files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from sample_forms import write_form  # noqa: E402

from quickscan.corpus import Corpus, make_answers  # noqa: E402
from quickscan.ingest import write_excel  # noqa: E402
from quickscan.template import load_template  # noqa: E402

# report order of the pilots (the order of the T0 report; new pilots at the end)
ORDER = [
    "houten-ggz",
    "nieuwegein-housing-first",
    "zeist-buurtcirkel",
    "ijsselstein-herstelacademie",
    "debilt-kleine-woonvormen",
    "woerden-time-out",
    "stichtsevecht-schuldenpreventie",
    "vijfheerenlanden-werkplaats",
    "heuvelrug-steunpunt",
    "utrecht-gespikkeld-wonen",
    "lopik-wijkteam-plus",
    "wijk-thuis-in-de-wijk",
    "rondevenen-zorgpension",
    "bunnik-mobility-mentoring",
    "regio-bemoeizorg",
    "oudewater-netwerk-verward-gedrag",
]
WAVES = ("T0", "T1")


def load_sources(folder: Path) -> list[dict]:
    """The pilot sources in report order."""
    sources = {p.stem: yaml.safe_load(p.read_text("utf-8")) for p in sorted(folder.glob("*.yaml"))}
    unknown = sorted(set(sources) - set(ORDER))
    if unknown:
        raise SystemExit(f"add these pilots to ORDER in {__file__}: {unknown}")
    return [sources[key] for key in ORDER if key in sources]


def layout_for(index: int, wave: str) -> int:
    return (index + 2 * WAVES.index(wave)) % 5 + 1


def render(out: Path = ROOT / "data" / "sample") -> list[Path]:
    template = load_template()
    sources = load_sources(out / "source")
    written = []
    for wave in WAVES:
        folder = out / wave
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.docx"):
            old.unlink()
        frames = []
        for i, source in enumerate(sources):
            interview = source.get(wave.lower())
            if not interview:
                continue
            answers = {int(q): str(a or "").strip() for q, a in interview["answers"].items()}
            path = folder / f"{i + 1:02d}-{source['key']}.docx"
            title = f"Quick-scan pilot {interview['name']} ({wave})"
            written.append(write_form(path, answers, template, layout=layout_for(i, wave), title=title))
            frames.append(make_answers(pilot_name_of(interview), wave, answers, source=str(path), template=template))
        books = out / "workbooks"
        books.mkdir(exist_ok=True)
        import pandas as pd

        corpus = Corpus.from_answers(pd.concat(frames, ignore_index=True), template=template)
        written.append(write_excel(corpus, books / f"quickscan-{wave}.xlsx", include_personal=True))
    return written


def pilot_name_of(interview: dict) -> str:
    return str(interview["name"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "sample")
    args = parser.parse_args(argv)
    for path in render(args.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
