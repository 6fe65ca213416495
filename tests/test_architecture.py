"""The app graph of docs/architecture.md holds: the import-linter contracts in
pyproject.toml are kept, and they leave no app or site module out."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_no_module_imports_an_app_it_must_not():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(  # noqa: S603  (our own venv's lint-imports)
        [lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_app_and_site_module_has_a_place_in_the_layers():
    layers = next(c for c in CONFIG["contracts"] if c["type"] == "layers")["layers"]
    named = {module.strip() for layer in layers for module in re.split(r"[|:]", layer)}
    site_modules = {f"pacforum.{path.stem}" for path in (ROOT / "pacforum").glob("*.py")} - {
        "pacforum.__init__"
    }
    site_modules.add("pacforum.management")
    assert site_modules - named == set()
    our_apps = {
        app.split(".")[0]
        for app in settings.INSTALLED_APPS
        if (ROOT / app.split(".")[0]).is_dir() and app.split(".")[0] != "pacforum"
    }
    assert our_apps - named == set()
    assert our_apps | {"pacforum"} == set(CONFIG["root_packages"])
