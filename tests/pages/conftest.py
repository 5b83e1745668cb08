"""Headless Debian chromium driven by Playwright, and where its screenshots go.

Needs /usr/bin/chromium and the Python playwright package (scripts/test-deps.sh installs
both; `playwright install` is never used). Without them these tests fail: they never skip.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.fixtures.services import ROOT, installed

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "tests" / "artifacts" / "pages"
UI_ASSETS = ROOT / ".cache" / "ui-assets"


@pytest.fixture(scope="session", autouse=True)
def ui_assets() -> None:
    """The charts' library, installed by the script the build uses when it is missing."""
    installed("ui-assets.sh", UI_ASSETS)


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Any]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test-deps.sh", pytrace=False)
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
def artifacts() -> Path:
    """The folder for this run's screenshots (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
