"""`sesame serve`: a loopback HTTP service and a one-page UI over one AskEngine.

Why a batching queue: the models are loaded once and are not safe to call from many threads at
once, yet the service must stay responsive under concurrent requests. One worker thread owns the
engine; requests wait on futures, and whatever arrived while the previous batch ran is answered as
the next batch (one batched query encoding for dense/hybrid). Requests are validated before they
reach the queue, so bad input never costs model time.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoint annotations at run time.
import asyncio
import json
import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from importlib import resources

from sesame.errors import SesameInputError

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 16 * 1024
ALLOWED_FIELDS = ("question", "top_k")


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class AskRequest:
    question: str
    top_k: int | None


def parse_ask_request(body: bytes, content_type: str | None, max_question_chars: int, max_top_k: int) -> AskRequest:
    """Validate a POST /ask body; every refusal names what is wrong (4xx, never a 500)."""
    if content_type and "json" not in content_type.lower():
        raise BadRequest(415, f"send JSON (Content-Type: application/json), not {content_type.split(';')[0]}")
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(413, f"request body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadRequest(400, f"request body is not valid JSON ({e}); send {{\"question\": \"...\"}}") from None
    if not isinstance(data, dict):
        raise BadRequest(400, f"request body must be a JSON object like {{\"question\": \"...\"}}, not {type(data).__name__}")
    unknown = sorted(set(data) - set(ALLOWED_FIELDS))
    if unknown:
        raise BadRequest(422, f"unknown field(s) {', '.join(map(repr, unknown))}; allowed: question, top_k")
    question = data.get("question")
    if question is None:
        raise BadRequest(422, "missing field 'question'")
    if not isinstance(question, str):
        raise BadRequest(422, f"'question' must be a string, not {type(question).__name__}")
    question = " ".join(question.split())
    if not question:
        raise BadRequest(422, "'question' is empty")
    if len(question) > max_question_chars:
        raise BadRequest(422, f"'question' is {len(question)} characters long; the limit is {max_question_chars}")
    top_k = data.get("top_k")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= max_top_k):
        raise BadRequest(422, f"'top_k' must be an integer from 1 to {max_top_k}, not {top_k!r}")
    return AskRequest(question, top_k)


class BatchQueue:
    """One worker thread calls the engine; callers get futures. Batches group requests by top_k."""

    def __init__(self, engine, max_batch: int = 16, max_wait_s: float = 0.005) -> None:
        self.engine, self.max_batch, self.max_wait_s = engine, max_batch, max_wait_s
        self._q: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="sesame-ask-worker", daemon=True)
        self._thread.start()

    def submit(self, question: str, top_k: int | None = None) -> Future:
        fut: Future = Future()
        self._q.put((question, top_k, fut, time.perf_counter()))
        return fut

    def close(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=30)

    def _work(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            batch = [item]
            deadline = time.perf_counter() + self.max_wait_s
            while len(batch) < self.max_batch:
                try:
                    nxt = self._q.get(timeout=max(0.0, deadline - time.perf_counter()))
                except queue.Empty:
                    break
                if nxt is None:
                    self._q.put(None)
                    break
                batch.append(nxt)
            for top_k in dict.fromkeys(b[1] for b in batch):
                group = [b for b in batch if b[1] == top_k]
                self._answer(group, top_k)

    def _answer(self, group: list, top_k: int | None) -> None:
        started = time.perf_counter()
        try:
            answers = self.engine.ask_batch([g[0] for g in group], top_k)
        except BaseException as e:  # hand every failure to its caller; the worker keeps running
            for g in group:
                g[2].set_exception(e)
            return
        for (_, _, fut, queued), ans in zip(group, answers):
            ans["latency_ms"]["queue"] = round(1000 * (started - queued), 2)
            fut.set_result(ans)


def page_html() -> str:
    return resources.files("sesame.ask").joinpath("page.html").read_text(encoding="utf-8")


def create_app(engine, max_batch: int = 16):
    """The FastAPI app over an already-loaded engine (the app never loads models itself)."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse, JSONResponse

    batcher = BatchQueue(engine, max_batch=max_batch)
    html = page_html()
    csp = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
           "img-src 'self' data:; base-uri 'none'; form-action 'none'")

    @asynccontextmanager
    async def lifespan(app):
        yield
        batcher.close()

    app = FastAPI(title="sesame ask", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.engine, app.state.batcher = engine, batcher

    @app.get("/", response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"})

    @app.get("/info")
    async def info() -> JSONResponse:
        return JSONResponse(engine.info())

    @app.get("/health")
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.post("/ask")
    async def ask(request: Request) -> JSONResponse:
        t0 = time.perf_counter()
        body = await request.body()
        s = engine.settings
        try:
            req = parse_ask_request(body, request.headers.get("content-type"), s.max_question_chars, s.max_top_k)
            result = await asyncio.wrap_future(batcher.submit(req.question, req.top_k))
        except BadRequest as e:
            return JSONResponse({"error": e.message}, status_code=e.status)
        except SesameInputError as e:
            return JSONResponse({"error": str(e)}, status_code=422)
        result["latency_ms"]["server"] = round(1000 * (time.perf_counter() - t0), 2)
        return JSONResponse(result)

    return app


def serve(engine, host: str = "127.0.0.1", port: int = 8000, max_batch: int = 16) -> None:
    """Run the service in the foreground (one process, one engine) until interrupted."""
    import uvicorn

    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s: the service has no authentication; anyone who can reach it can use it", host)
    app = create_app(engine, max_batch=max_batch)
    log.info("serving %s on http://%s:%d/ (POST /ask, GET /info)", engine.paths.run or engine.paths.collection,
             host, port)
    uvicorn.run(app, host=host, port=port, workers=1, log_level="info", access_log=False)
