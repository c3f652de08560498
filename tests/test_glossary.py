"""The course's one bilingual glossary: every chapter's terms exist, read the same everywhere, and carry Korean."""

from __future__ import annotations

import re

import pytest

from vitlite import glossary

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_every_chapter_has_terms_from_the_one_list():
    assert sorted(glossary.CHAPTER_TERMS) == list(range(1, 11))
    for chapter, terms in glossary.CHAPTER_TERMS.items():
        assert len(terms) >= 4, chapter
        assert len(set(terms)) == len(terms), f"chapter {chapter} lists a term twice"
        for term in terms:
            korean, meaning = glossary.TERMS[term]
            assert HANGUL.search(korean), f"{term}: no Korean"
            assert meaning and not meaning.endswith("."), term


def test_the_table_is_markdown_with_one_row_per_term():
    table = glossary.table(2)
    lines = table.splitlines()
    assert lines[0] == "| English | 한국어 | meaning |" and len(lines) == 2 + len(glossary.CHAPTER_TERMS[2])
    assert "| inductive bias | 귀납적 편향 |" in table
    with pytest.raises(ValueError, match="chapter must be one of"):
        glossary.table(11)
