"""Corpus-level questions ("Which article was published first?") answered from the documents' metadata,
and kept short at any corpus size: the answer names at most ``CATALOG_ITEMS`` articles and counts the rest."""

import pytest

from rag import Assistant, Settings
from rag.answer.catalog import CATALOG_ITEMS, UNDATED_NAMED, CatalogQuery, catalog_notice, catalog_query, plan_catalog


def docs(*dates: str | None) -> list[dict]:
    return [{"doc_id": f"d{n:03}", "date": date} for n, date in enumerate(dates)]


def test_questions_about_the_collection_are_routed_to_the_catalog():
    assert catalog_query("Which article was published first?") == CatalogQuery("earliest")
    assert catalog_query("Which articles are dated 2022?") == CatalogQuery("year", "2022")
    assert catalog_query("What are the documents about?") == CatalogQuery("overview")
    assert catalog_query("Which article about the moon was published first?") is None  # a content question


def test_the_earliest_is_one_article_and_undated_ones_are_a_short_caveat():
    plan = plan_catalog(CatalogQuery("earliest"), docs("2021-05-01", None, "2019-12-25", None))
    assert plan.doc_ids == ["d002", "d001", "d003"]  # the answer, then the undated that could be earlier
    assert (plan.left_out, plan.undated_left_out) == (0, 0)

    many_undated = docs("2020-01-01", *[None] * 50)
    plan = plan_catalog(CatalogQuery("earliest"), many_undated)
    assert len(plan.doc_ids) == 1 + UNDATED_NAMED and plan.undated_left_out == 50 - UNDATED_NAMED
    assert catalog_notice(CatalogQuery("earliest"), plan, []) == "47 more documents carry no date."


def test_a_year_names_its_articles_up_to_the_cap_and_counts_the_rest():
    corpus = docs(*[f"2022-01-{n % 28 + 1:02}" for n in range(30)], "2021-06-01")
    query = CatalogQuery("year", "2022")
    plan = plan_catalog(query, corpus)
    assert len(plan.doc_ids) == CATALOG_ITEMS and "d030" not in plan.doc_ids
    assert catalog_notice(query, plan, []) == (f"{30 - CATALOG_ITEMS} more documents are dated 2022; "
                                               "a date filter narrows the list.")


def test_a_year_without_articles_names_the_nearest_dated_ones_without_counting_them():
    plan = plan_catalog(CatalogQuery("year", "2030"), docs("2019-12-25", "2029-02-01", "2022-04-16"))
    assert plan.doc_ids == ["d001", "d002", "d000"]  # nearest first
    assert plan.left_out == 0


def test_a_corpus_without_dates_says_so():
    plan = plan_catalog(CatalogQuery("latest"), docs(*[None] * 10))
    assert catalog_notice(CatalogQuery("latest"), plan, []) == "7 more documents carry no date; none of the 10 carries one."


def test_the_overview_says_how_many_documents_it_quoted():
    plan = plan_catalog(CatalogQuery("overview"), docs(*[None] * 100))
    assert len(plan.doc_ids) == CATALOG_ITEMS and plan.total == 100
    assert catalog_notice(CatalogQuery("overview"), plan, []).startswith("These are the openings of 0 of 100")


@pytest.fixture(scope="module")
def forty_articles(tmp_path_factory) -> Assistant:
    """A real index of 40 short articles: 30 dated (half of them 2021), 10 undated."""
    corpus = tmp_path_factory.mktemp("forty")
    for n in range(40):
        date = f" date {2020 + n % 2}-{n % 12 + 1:02}-{n % 27 + 1:02}\n" if n < 30 else ""
        (corpus / f"article-{n:02}.txt").write_text(
            f"{date}Report number {n} on the harbour\n\nThe harbour authority published its report number {n}, "
            f"which counts the ships that called at the port during the season.\n", encoding="utf-8")
    assistant = Assistant(Settings(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("forty-index"), fast=True))
    assistant.index()
    return assistant


def test_a_catalog_answer_on_a_larger_corpus_names_a_dozen_and_counts_the_rest(forty_articles):
    of_2021 = forty_articles.ask("Which articles were published in 2021?")
    assert len(of_2021.citations) == CATALOG_ITEMS + UNDATED_NAMED
    assert all(c.date is None or c.date.startswith("2021") for c in of_2021.citations)
    assert of_2021.text.endswith(f"3 more documents are dated 2021; a date filter narrows the list. "
                                 f"{10 - UNDATED_NAMED} more documents carry no date.")

    first = forty_articles.ask("Which article was published first?")
    earliest = min(d["date"] for d in forty_articles.documents() if d["date"])
    assert first.citations[0].date == earliest and f"dated {earliest}" in first.text

    overview = forty_articles.ask("What are the articles about?")
    assert len(overview.citations) == CATALOG_ITEMS
    assert overview.text.endswith("These are the openings of 12 of 40 documents, in id order; "
                                  "ask about a topic to search them all.")


def test_the_catalog_honours_the_date_filter(forty_articles):
    settings = forty_articles.settings
    filtered = Assistant(Settings(corpus_dir=settings.corpus_dir, index_dir=settings.index_dir, fast=True,
                                  date_from="2021-01-01"))
    answer = filtered.ask("List the articles and their dates")
    assert answer.citations and all(c.date >= "2021-01-01" for c in answer.citations)
