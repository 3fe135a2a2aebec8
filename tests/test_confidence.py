"""Confidence of a pilot x wave x code: features, list detection, ordering."""

from __future__ import annotations

import pandas as pd
import pytest

from quickscan.codebook import Codebook, Pattern
from quickscan.confidence import CONFIDENCE_COLUMNS, cell_confidence, looks_like_list, pattern_specificity

CB = Codebook.from_yaml("""
id: conf-test
name: Confidence test
families:
  - id: basisset
    label: Basisset
    codes:
      - {id: wonen, label: Wonen, expected: [9], patterns: ["*woning*", eigen voordeur]}
      - {id: werk, label: Werk, patterns: [dagbesteding]}
""")


def row(pilot, code, question, evidence, *, negated=False, pattern="wonen:1", source="rule", probability=None):
    return {"pilot_id": pilot, "wave": "T0", "question": question, "code": code, "family": "basisset",
            "start": 0, "end": 1, "evidence": evidence, "negated": negated, "valence": None, "source": source,
            "pattern": pattern, "segment_id": f"{pilot}{code}{evidence}", "probability": probability}


@pytest.mark.parametrize("sentence, expected", [
    ("Niveau 2: wijkteams, budgetbeheerders, de schuldhulpverlening en de gemeente.", True),
    ("Gemeente Houten, GGZ-instelling (FACT), de woningcorporatie en de cliëntenraad.", True),
    ("We werken samen met de woningcorporatie, zodat deelnemers sneller een woning krijgen.", False),
    ("Iedereen krijgt een eigen woning.", False),
    (None, False),
])
def test_confidence_looks_like_list(sentence, expected):
    assert looks_like_list(sentence) is expected


def test_confidence_pattern_specificity_orders_patterns():
    scores = [pattern_specificity(Pattern("p", t)) for t in ("*schuld*", "woning*", "woning", "eigen voordeur")]
    assert scores == sorted(scores) and len(set(scores)) == 4


def test_confidence_more_and_better_evidence_is_more_confident():
    codings = pd.DataFrame([
        row("a", "wonen", 9, "Iedereen krijgt een eigen woning."),
        row("a", "wonen", 11, "We zoeken samen een woning."),
        row("b", "wonen", 13, "Woningcorporatie, gemeente, wijkteam en ggz."),
        row("c", "wonen", 9, "Iedereen krijgt een eigen woning."),
        row("c", "wonen", 15, "Geen woning te vinden.", negated=True),
        row("d", "werk", 9, "Het gaat om dagbesteding.", source="model", probability=0.61),
    ])
    cells = cell_confidence(codings, codebook=CB).set_index("pilot_id")
    assert list(cells.reset_index().columns) == CONFIDENCE_COLUMNS
    assert cells.loc["a", "n_sentences"] == 2 and cells.loc["a", "own"] == 1.0
    assert cells.loc["b", "own"] == 0.0 and cells.loc["b", "list_share"] == 1.0
    assert cells.loc["c", "negated"]
    assert cells.loc["a", "confidence"] > cells.loc["c", "confidence"] > cells.loc["b", "confidence"]
    assert cells.loc["d", "confidence"] == 0.61  # a suggestion: the model's probability


def test_confidence_of_nothing_is_empty():
    assert list(cell_confidence(pd.DataFrame(columns=CONFIDENCE_COLUMNS[:3] + ["negated"]), codebook=CB).columns) == \
        CONFIDENCE_COLUMNS
