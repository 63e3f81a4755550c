"""A real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) uses the page."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest

from _ask_fixtures import ARTIFACTS, REPO

pytestmark = pytest.mark.slow
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium() -> str:
    """Install Debian's chromium when missing (root only), then check Playwright can be imported."""
    if not os.path.exists(CHROMIUM):
        if os.geteuid() != 0:
            pytest.skip(f"{CHROMIUM} is missing and installing it needs root: `sudo apt-get install -y chromium`")
        proc = subprocess.run(["bash", str(REPO / "tests" / "ask" / "setup_browser.sh")], capture_output=True,
                              text=True, timeout=900)
        assert proc.returncode == 0, f"tests/ask/setup_browser.sh failed:\n{proc.stdout}\n{proc.stderr}"
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'")
    return CHROMIUM


def test_page_asks_and_highlights_the_answer(chromium, live_server, engine):
    from playwright.sync_api import sync_playwright

    # the first demo question the served run answers confidently (the page must then highlight it)
    expected = next((a for a in (engine.ask(q.question) for q in engine.collection.questions[:20]) if a["confident"]),
                    None)
    assert expected is not None, "the run answered none of 20 demo questions confidently"
    question = expected["question"]
    profile = tempfile.mkdtemp(prefix="sesame-chromium-")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch_persistent_context(
                profile, executable_path=chromium, headless=True, args=FLAGS,
                viewport={"width": 1100, "height": 900}, offline=False)
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(live_server + "/", wait_until="networkidle")
            page.wait_for_selector("#examples button")  # /info loaded and rendered
            assert "documents" in page.inner_text("#info")
            page.fill("#question", question)
            page.click("#ask")
            page.wait_for_selector("#status:has-text('answered in')", timeout=120_000)
            mark = page.query_selector("#source-passage mark#answer-mark")
            assert mark.inner_text() == expected["answer"]
            assert page.inner_text("#answer-text") == expected["answer"]
            assert expected["source"]["doc_id"] in page.inner_text("#answer-meta")
            assert "answered in" in page.inner_text("#status")
            others = page.query_selector_all("#passages li")
            assert len(others) == len(expected["passages"]) - 1
            # an empty question is refused in the page, without a request
            page.fill("#question", "")
            page.click("#ask")
            assert "Type a question" in page.inner_text("#status")
            assert not errors, errors
            page.fill("#question", question)
            page.click("#ask")
            page.wait_for_selector("#status:has-text('answered in')", timeout=120_000)
            assert page.inner_text("#answer-mark") == expected["answer"]
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "ask_page.png"
            page.screenshot(path=str(shot), full_page=False)
            browser.close()
        assert shot.stat().st_size > 10_000
        if os.environ.get("SESAME_UPDATE_DOCS") == "1":  # refresh the README's screenshot on purpose only
            (REPO / "docs").mkdir(exist_ok=True)
            shutil.copyfile(shot, REPO / "docs" / "ask_page.png")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
