"""Related work (kg.related): ranking, reasons, the CLI, the RDF statements and the named query."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kg.related import AmbiguousPaper, RelatedIndex, related, tokenize

FEDLOGE = "FedLoGe: Joint Local and Generic Federated Learning under Long-tailed Data"


def kg_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, input=stdin)


def test_tokenize_drops_stopwords_and_plural_s():
    assert tokenize("The Models of Federated Learning") == ["model", "federated", "learning"]


def test_fedloge_gets_federated_learning_papers_first_with_reasons(demo):
    out = kg_cli("related", "FedLoGe", "--graph", str(demo), "--format", "json")
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert len(found) == 5
    assert [s["score"] for s in found] == sorted((s["score"] for s in found), reverse=True)
    for s in found[:3]:
        assert "federated" in s["title"].lower(), s["title"]
        assert s["reasons"] and all(isinstance(r, str) and r for r in s["reasons"])
        assert s["iri"].startswith("https://w3id.org/paperkg/paper/") and s["id"]
    assert any(r == "both address federated learning" for s in found for r in s["reasons"])
    assert FEDLOGE not in [s["title"] for s in found]


def test_table_output_and_top(demo):
    out = kg_cli("related", "FedLoGe", "--graph", str(demo), "--top", "3")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("shared terms") >= 1 and "Federated" in out.stdout


def test_ambiguous_title_fragment_lists_candidates(demo):
    out = kg_cli("related", "Federated", "--graph", str(demo))
    assert out.returncode == 1
    assert "matches" in out.stderr and "paper/" in out.stderr
    out = kg_cli("related", "no paper has this title xyz", "--graph", str(demo))
    assert out.returncode == 1 and "no paper matches" in out.stderr


def test_text_mode_ranks_the_graph_for_a_new_draft(demo, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text("Personalized federated learning for long-tailed client data\n"
                     "We study federated learning when clients hold long-tailed, heterogeneous label "
                     "distributions, and evaluate on CIFAR-10-LT and CIFAR-100-LT.\n", encoding="utf-8")
    out = kg_cli("related", "--text", str(draft), "--graph", str(demo), "--format", "json")
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert found[0]["title"] == FEDLOGE
    assert any("CIFAR-100-LT" in r for s in found for r in s["reasons"])
    # the same draft on stdin, as JSON
    rec = json.dumps({"title": "Federated learning under long-tailed data", "abstract": draft.read_text()})
    out = kg_cli("related", "--text", "-", "--graph", str(demo), "--format", "json", stdin=rec)
    assert out.returncode == 0 and json.loads(out.stdout)


def test_python_api_matches_the_cli(demo):
    via_api = [s.to_json() for s in related(demo, "FedLoGe")]
    via_cli = json.loads(kg_cli("related", "FedLoGe", "--graph", str(demo), "--format", "json").stdout)
    assert via_api == via_cli
    with pytest.raises(AmbiguousPaper) as exc:
        related(demo, "Federated")
    assert len(exc.value.candidates) > 1


def test_saved_index_is_deterministic_and_loads_back(demo, tmp_path):
    index = RelatedIndex.load(demo / "related")
    a, b = index.save(tmp_path / "a"), index.save(tmp_path / "b")
    for name in ("papers.jsonl", "concepts.json", "vocab.json", "matrix.npz"):
        assert (a / name).read_bytes() == (b / name).read_bytes() == (demo / "related" / name).read_bytes(), name


def test_related_statements_in_the_rdf_and_the_named_query(demo):
    from kg.store import run_query

    rows = run_query(demo, "related-papers", {"paper": "FedLoGe"}).rows
    assert [int(str(r[3])) for r in rows] == [1, 2, 3, 4, 5]
    assert all(float(str(r[6])) > 0 for r in rows)
    assert all(str(r[7]) for r in rows)  # reasons
    cli = json.loads(kg_cli("related", "FedLoGe", "--graph", str(demo), "--format", "json").stdout)
    assert [str(r[4]) for r in rows] == [s["iri"] for s in cli]
    # every paper links to its own related papers, each link reified with score, rank and reasons
    count = run_query(demo, """SELECT (COUNT(*) AS ?n) WHERE {
        ?l a kg:LinkEvidence ; rdf:predicate kg:relatedTo ; kg:score ?s ; kg:rank ?r ; kg:reasonList ?list }""").rows
    papers = run_query(demo, "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Paper }").rows
    assert int(str(count[0][0])) == 5 * int(str(papers[0][0]))


def test_a_paper_weighs_its_terms_by_how_often_it_uses_them() -> None:
    """The query paper's recurring word outranks a word it uses once (the two candidates are otherwise
    alike); counting each query term once made them tie, and the tie went to the other paper's key."""
    import networkx as nx

    g = nx.MultiDiGraph()
    for key, title, abstract in [
            ("paper/q", "Drift study", "Federated drift; federated averaging fails; we study federated drift. Protein."),
            ("paper/z", "Alpha", "A federated method."), ("paper/b", "Gamma", "A protein method."),
            ("paper/c", "Vision", "An image method."), ("paper/d", "Speech", "An audio method.")]:
        g.add_node(key, kind="Paper", title=title, abstract=abstract)
    assert [s.key for s in related(g, "paper/q", top=2)] == ["paper/z", "paper/b"]


def test_pruned_index_touches_few_postings_and_keeps_exact_scores(monkeypatch) -> None:
    """Every paper's ranking reads at most POSTINGS papers per term and QUERY_TERMS terms per query, so
    the step stays linear; candidates are rescored exactly, so the scores are BM25's own."""
    import networkx as nx
    import numpy as np

    import kg.related as rel

    g = nx.MultiDiGraph()
    for i in range(300):
        t = i % 30
        g.add_node(f"paper/{i:03d}", kind="Paper", title=f"Study of topic{t} and topic{t}x",
                   abstract=f"A common method on common data. We study topic{t} with topic{t}x and topic{t}y, "
                            f"then topic{(t + 1) % 30} once. Results are common.")
    full = RelatedIndex.from_graph(g)
    monkeypatch.setattr(rel, "POSTINGS", 20)
    monkeypatch.setattr(rel, "QUERY_TERMS", 4)
    pruned = RelatedIndex.from_graph(g)
    assert np.diff(full.by_term.indptr).max() == 300           # "common" is in every paper
    assert np.diff(pruned.by_term.indptr).max() == 20
    for key in ("paper/000", "paper/017", "paper/299"):
        a, b = full.related(key, k=5), pruned.related(key, k=5)
        assert [s.key for s in a] == [s.key for s in b]
        assert [s.score for s in a] == [s.score for s in b]
        t = int(key.split("/")[1]) % 30
        assert all(int(s.key.split("/")[1]) % 30 == t for s in b[:5])   # the same topic first
        assert any(f"topic{t}" in r for r in b[0].reasons)


def test_ranking_on_several_processes_gives_the_same_links(demo, monkeypatch) -> None:
    """kg build ranks related work on its --jobs processes: every paper's suggestions, scores and
    reasons are those of one process, in the same order."""
    import kg.related as rel

    index = RelatedIndex.load(demo / "related")
    one = [(key, [s.to_json() for s in sugs]) for key, sugs in index.all_related(5)]
    monkeypatch.setattr(rel, "PARALLEL_MIN_PAPERS", 0)
    monkeypatch.setattr(rel, "_CHUNK", 7)  # several tasks per process, and a short last one
    two = [(key, [s.to_json() for s in sugs]) for key, sugs in index.all_related(5, jobs=2)]
    assert len(one) == len(index.papers) > 400
    assert two == one
    assert rel._FORKED is None
