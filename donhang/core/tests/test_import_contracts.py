"""`make lint` fails on an upward import between apps and on any import cycle (function-level
imports included). Probe modules are written into the tree, checked, then removed."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _run(*args):
    return subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}, check=False
    )


@pytest.fixture
def probe_files():
    written: list[Path] = []

    def write(relative: str, text: str) -> None:
        path = ROOT / relative
        path.write_text(text)
        written.append(path)

    yield write
    for path in written:
        path.unlink(missing_ok=True)


def test_an_upward_import_inside_a_function_breaks_the_layers_contract(probe_files):
    probe_files(
        "donhang/catalog/zz_probe_upward.py",
        "def f():\n    from donhang.orders.models import Order\n\n    return Order\n",
    )
    result = _run(str(ROOT / ".venv/bin/lint-imports"), "--no-cache")
    assert result.returncode != 0
    assert "donhang.catalog.zz_probe_upward -> donhang.orders.models" in result.stdout


def test_an_import_cycle_fails_the_cycle_check(probe_files):
    probe_files("donhang/core/zz_probe_a.py", "def f():\n    from donhang.core import zz_probe_b\n")
    probe_files("donhang/core/zz_probe_b.py", "from donhang.core import zz_probe_a  # noqa\n")
    result = _run(sys.executable, "scripts/check_import_cycles.py", "donhang")
    assert result.returncode == 1
    assert "donhang.core.zz_probe_a ↔ donhang.core.zz_probe_b" in result.stdout
