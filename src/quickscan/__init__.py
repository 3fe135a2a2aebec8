"""quickscan: reproducible analysis of structured qualitative interviews (quick-scan formats).

The stages, each a module, data flowing one way::

    ingest (read_folder, read_docx, read_excel) -> corpus (Corpus)
        -> coding (code_corpus, review) -> analysis -> export

``import quickscan`` is light: pandas, spaCy and matplotlib are imported only when a
function that needs them is first used.

>>> import quickscan
>>> corpus = quickscan.read_folder("data/sample/T0")
>>> len(corpus.pilot_ids)
15
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    # ingest
    "read_docx": "ingest",
    "read_excel": "ingest",
    "read_folder": "ingest",
    "read_files": "ingest",
    "write_excel": "ingest",
    # corpus
    "Corpus": "corpus",
    "combine": "corpus",
    "read_aliases": "corpus",
    # template
    "Template": "template",
    "Question": "template",
    "load_template": "template",
    # codebook, coding, review
    "Codebook": "codebook",
    "load_codebook": "codebook",
    "code_corpus": "coding",
    "write_review_sheet": "review",
    "read_review_sheet": "review",
    "apply_review": "review",
    # open coding and learned suggestions
    "suggest_themes": "themes",
    "theme_stability": "themes",
    "promote_themes": "themes",
    "CodeSuggester": "suggest",
    "codings_from_quotes": "suggest",
    # analysis
    "code_matrix": "matrices",
    "framework_matrix": "matrices",
    "summarize_codes": "matrices",
    "count_phrase": "matrices",
    "answers_by_block": "matrices",
    "compare_waves": "compare",
    # export
    "to_workbook": "export",
    "write_xlsx": "export",
    "write_csv_tables": "export",
    "to_docx": "export",
    "write_docx": "export",
    "style_table": "export",
    # inter-coder agreement and privacy
    "agreement": "intercoder",
    "disagreements": "intercoder",
    "stack_coders": "intercoder",
    "percent_agreement": "intercoder",
    "cohen_kappa": "intercoder",
    "krippendorff_alpha": "intercoder",
    "pseudonymize": "privacy",
    "find_personal_data": "privacy",
    # exchange with other QDA tools (REFI-QDA)
    "write_qdc": "refi",
    "read_qdc": "refi",
    "write_qdpx": "refi",
    "read_qdpx": "refi",
    "RefiProject": "refi",
    # checking a report draft against the tables
    "check_draft": "verify",
    "read_draft": "verify",
    "write_claims": "verify",
    # charts
    "plot_totals": "charts",
    "plot_matrix": "charts",
    "plot_cooccurrence": "charts",
    "plot_waves": "charts",
    "save_chart": "charts",
    # a study and its report (what ``quickscan report`` runs)
    "Study": "study",
    "Report": "study",
    "load_study": "study",
    "run_report": "study",
    # errors
    "QuickscanError": "errors",
    "InputError": "errors",
    "NotAQuickscanForm": "errors",
    "RefiError": "errors",
    "StudyError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'quickscan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover
    from .charts import plot_cooccurrence, plot_matrix, plot_totals, plot_waves, save_chart
    from .codebook import Codebook, load_codebook
    from .compare import compare_waves
    from .coding import code_corpus
    from .corpus import Corpus, combine, read_aliases
    from .errors import InputError, NotAQuickscanForm, QuickscanError, RefiError, StudyError
    from .export import style_table, to_docx, to_workbook, write_csv_tables, write_docx, write_xlsx
    from .ingest import read_docx, read_excel, read_files, read_folder, write_excel
    from .intercoder import agreement, cohen_kappa, disagreements, krippendorff_alpha, percent_agreement, stack_coders
    from .matrices import answers_by_block, code_matrix, count_phrase, framework_matrix, summarize_codes
    from .privacy import find_personal_data, pseudonymize
    from .refi import RefiProject, read_qdc, read_qdpx, write_qdc, write_qdpx
    from .review import apply_review, read_review_sheet, write_review_sheet
    from .study import Report, Study, load_study, run_report
    from .suggest import CodeSuggester, codings_from_quotes
    from .template import Question, Template, load_template
    from .themes import promote_themes, suggest_themes, theme_stability
    from .verify import check_draft, read_draft, write_claims
