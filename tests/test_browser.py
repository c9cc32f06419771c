"""End to end in a real browser: Debian's Chromium driven by Playwright against `streamlit run`.

The set-up installs Chromium with apt-get when it is missing (never `playwright install`,
which downloads a browser build of its own).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import voiced, write

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


def ensure_chromium() -> str:
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, timeout=900, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, timeout=1800, check=False)
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is missing and could not be installed (needs root and apt-get)")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_corpus):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    executable = ensure_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def open_page(page, label: str):
    """Navigate inside the app (a fresh page load would start a new session)."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()


def wait_until_run_is_over(page):
    # The sidebar's model status is drawn last, so once it names the model the script run is over.
    page.locator('[data-testid="stSidebar"]').get_by_text("trained on Demo corpus").wait_for()


def test_upload_see_train_and_read_the_verdict(server, browser, tmp_path):
    clip = write(tmp_path / "my voice.wav", voiced(duration=1.2))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(180_000)
    page.goto(server)
    page.get_by_text("Demo corpus", exact=False).first.wait_for()
    page.get_by_text("Quick start").wait_for()

    open_page(page, "Explore")
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Upload clips")
    uploader.locator('input[type="file"]').set_input_files(str(clip))
    page.get_by_role("tab", name="Spectrogram").first.click()
    spectrogram = page.get_by_text("Spectrogram — my voice.wav")
    spectrogram.wait_for()
    assert page.locator('[data-testid="stImage"] img').count() >= 1

    page.screenshot(path=str(tmp_path / "voiceclf-explore.png"))

    open_page(page, "Train")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Confusion matrix (test)").wait_for()
    wait_until_run_is_over(page)
    assert page.get_by_text("Test EER").count() >= 1
    page.set_viewport_size({"width": 1400, "height": 2200})
    page.screenshot(path=str(tmp_path / "voiceclf-trained.png"))

    open_page(page, "Results")
    page.get_by_role("heading", name="Results").wait_for()
    page.get_by_text("Test accuracy").first.wait_for()
    wait_until_run_is_over(page)
    page.locator('[data-testid="stImage"] img').first.wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "voiceclf-results.png"))
    # A second browser (its own cookies and session) sees none of the first one's model.
    other = browser.new_context().new_page()
    other.set_default_timeout(120_000)
    other.goto(server)
    other.get_by_text("Quick start").wait_for()
    other.get_by_text("No model yet").first.wait_for()
    assert other.locator('[data-testid="stSidebar"]').get_by_text("trained on").count() == 0
    other.context.close()
    os.environ.get("VOICECLF_SCREENSHOTS") and shutil.copytree(tmp_path, os.environ["VOICECLF_SCREENSHOTS"],
                                                               dirs_exist_ok=True)
    page.close()
