import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.isolation import free_port as _free_port
from tests.isolation import worker_redis_url

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# made by tests and live_server around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The browser tests share 2 cores with the other xdist worker (and whatever
# else the machine runs): a page gets up to 15 s to meet an assertion instead
# of Playwright's 5 s (CKEditor took longer than 5 s to start on a machine at
# load 15). A passing assertion waits no longer than before.
expect.set_options(timeout=15_000)

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER", "").lower() in {"1", "true", "yes"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """The browser tests form one xdist group: `make test` (`--dist loadgroup`)
    runs them all on one worker, one at a time, with a single Chromium, beside
    the other worker's tests (two Chromiums at once overload 2 cores).

    On an xdist worker, each grouped test's group is put at the end of its
    node id, which is how the controller learns the groups. pytest-xdist 3.8
    does that by setting `item._nodeid`, which pytest 9.2 no longer reads (the
    node id lives in `item._id`): without this, every test would be dealt on
    its own and the browser tests would land on both workers."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
    if not (hasattr(config, "workerinput") and config.getvalue("loadgroup")):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        marks = item.iter_markers("xdist_group")
        groups = sorted(
            {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in marks}
        )
        if groups and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


def _missing_or_skip(reason):
    if REQUIRE_BROWSER:
        pytest.fail(f"REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        _missing_or_skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def _shared_browser(launch_browser):
    """One Chromium for the test process, kept in a holder so that `browser`
    can replace it after a crash."""
    holder = {}
    yield holder
    if holder.get("browser") and holder["browser"].is_connected():
        holder["browser"].close()


@pytest.fixture
def browser(_shared_browser, launch_browser):
    """pytest-playwright's session browser, started again if a test left it
    disconnected: a Chromium crash fails the test it happened in, not every
    browser test after it."""
    if not (_shared_browser.get("browser") and _shared_browser["browser"].is_connected()):
        _shared_browser["browser"] = launch_browser()
    return _shared_browser["browser"]


@pytest.fixture(scope="session")
def html_validator(tmp_path_factory):
    """Validate an HTML string with the Nu HTML Checker; returns its error messages.

    The checker runs as its own HTTP service on a free port, started once per
    test process: one Java start-up (about 3 s of CPU) instead of one per page.
    """
    java = shutil.which("java")
    if not java or not VNU_JAR.exists():
        _missing_or_skip("the Nu HTML Checker needs java and `npm ci` (node_modules/vnu-jar)")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("vnu") / "vnu.log"
    log = log_path.open("w")
    server = subprocess.Popen(  # noqa: S603
        [
            java,
            "-Dnu.validator.servlet.bind-address=127.0.0.1",
            "-cp",
            str(VNU_JAR),
            "nu.validator.servlet.Main",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    address = f"http://127.0.0.1:{port}/?out=json"
    deadline = time.monotonic() + 180
    while True:
        if server.poll() is not None:
            pytest.fail(f"the Nu HTML Checker exited: {log_path.read_text()}")
        try:
            with urllib.request.urlopen(address, timeout=5):
                break
        except urllib.error.HTTPError:  # it answers: it is up
            break
        except OSError:
            if time.monotonic() > deadline:
                server.terminate()
                pytest.fail(f"the Nu HTML Checker did not start: {log_path.read_text()}")
            time.sleep(0.2)

    def validate(html, tmp_path=None):
        request = urllib.request.Request(
            address, data=html.encode(), headers={"Content-Type": "text/html; charset=utf-8"}
        )
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            messages = json.loads(response.read())["messages"]
        return [
            f"line {m.get('lastLine')}: {m['message']}"
            for m in messages
            if m.get("type") in {"error", "non-document-error"}
        ]

    yield validate
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="session")
def axe_source():
    if not AXE_JS.exists():
        _missing_or_skip("axe-core is not installed (`npm ci` puts it in node_modules)")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def run_axe(axe_source):
    """Run axe-core in a Playwright page; return serious and critical violations."""

    def run(page):
        # Evaluated over the DevTools protocol, so the page's Content Security
        # Policy (which forbids inline scripts) does not block axe itself.
        page.evaluate(axe_source)
        result = page.evaluate("async () => await axe.run(document)")
        return [
            f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
            for v in result["violations"]
            if v["impact"] in {"serious", "critical"}
        ]

    return run


@pytest.fixture
def free_port():
    """Call it for a port to start a server on (SMTP, gunicorn, Varnish, Redis):
    free now, chosen by the kernel, so parallel workers never collide."""
    return _free_port


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL with this worker's own database number (base + worker index);
    the test is skipped, with the reason, when REDIS_URL is not set."""
    base = os.environ.get("REDIS_URL")
    if not base:
        pytest.skip("REDIS_URL is not set (Redis tests)")
    return worker_redis_url(base)


# Every test starts with an empty page cache, and no site state kept in the
# process (with the cache off).
@pytest.fixture(autouse=True)
def _empty_page_cache():
    from django.core.cache import cache

    from commentaries.site_state import forget_kept_state

    cache.clear()
    forget_kept_state()
    yield
    cache.clear()
    forget_kept_state()
