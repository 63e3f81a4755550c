"""The HTTP service on loopback: good and bad requests, and 50 concurrent requests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytestmark = pytest.mark.slow
Q = "How many of the institute's employees are research scientists?"


def test_page_and_info(live_server, engine):
    page = httpx.get(live_server + "/", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="question"' in page.text and "<script" in page.text
    assert "http://" not in page.text.replace("http://www.w3.org", "") and "https://" not in page.text  # no CDN
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    info = httpx.get(live_server + "/info", timeout=30).json()
    assert info["retriever"] == "hybrid" and info["documents"] == len(engine.collection.documents)
    assert info["examples"] and info["threshold"] == engine.settings.threshold


def test_good_request_answers_with_source_passages_and_latency(live_server, engine):
    r = httpx.post(live_server + "/ask", json={"question": Q, "top_k": 3}, timeout=120)
    assert r.status_code == 200, r.text
    res = r.json()
    direct = engine.ask(Q, top_k=3)
    assert res["best_span"] == direct["best_span"] and res["score"] == pytest.approx(direct["score"], abs=1e-4)
    src = res["source"]
    passage = res["passages"][src["passage"]]
    assert passage["text"][src["start"]:src["end"]] == res["best_span"]
    assert src["sentence"] in passage["text"] and src["doc_id"] == passage["doc_id"]
    assert 1 <= len(res["passages"]) <= 3 and [p["rank"] for p in res["passages"]] == sorted(p["rank"] for p in res["passages"])
    lat = res["latency_ms"]
    assert lat["server"] >= lat["total"] >= lat["retrieve"] > 0 and lat["read"] > 0


@pytest.mark.parametrize("kwargs, status, words", [
    ({"json": {"question": ""}}, 422, "empty"),
    ({"json": {"question": "   "}}, 422, "empty"),
    ({"json": {"question": "why " * 400}}, 422, "characters long"),
    ({"json": {"text": "who?"}}, 422, "unknown field"),
    ({"json": {"question": "who?", "top_k": 0}}, 422, "top_k"),
    ({"json": ["who?"]}, 400, "JSON object"),
    ({"content": b'{"question": "who?"', "headers": {"content-type": "application/json"}}, 400, "not valid JSON"),
    ({"data": {"question": "who?"}}, 415, "Content-Type"),
    ({"content": b'{"question": "' + b"x" * 20000 + b'"}'}, 413, "limit"),
])
def test_bad_requests_get_a_clear_4xx(live_server, kwargs, status, words):
    r = httpx.post(live_server + "/ask", timeout=30, **kwargs)
    assert r.status_code == status, r.text
    assert words in r.json()["error"]


def test_wrong_method_and_path(live_server):
    assert httpx.get(live_server + "/ask", timeout=30).status_code == 405
    assert httpx.get(live_server + "/nope", timeout=30).status_code == 404


def test_fifty_concurrent_requests(live_server, engine):
    """50 requests from 16 client threads: all answered, each as if asked alone, some of them batched."""
    questions = [q.question for q in engine.collection.questions][:10]
    alone = {q: engine.ask(q)["best_span"] for q in questions}
    jobs = [questions[i % len(questions)] for i in range(50)]

    def call(q: str) -> tuple[str, httpx.Response]:
        with httpx.Client(timeout=300) as client:
            return q, client.post(live_server + "/ask", json={"question": q})

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(call, jobs))
    assert [r.status_code for _, r in results] == [200] * 50
    for q, r in results:
        assert r.json()["question"] == q and r.json()["best_span"] == alone[q]
    assert max(r.json()["latency_ms"]["batch"] for _, r in results) > 1  # the queue batched waiting requests
