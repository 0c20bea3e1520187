"""The start-up hook: armed by the installed .pth, patches getOrCreate, attaches only when asked."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest

from spark_lineage import autoattach


class FakeConf:
    def __init__(self, enabled: str | None) -> None:
        self.enabled = enabled

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.enabled if key == "spark.lineage.enabled" else default


class FakeSession:
    """Stands in for a classic SparkSession (only what the hook reads)."""

    def __init__(self, enabled: str | None) -> None:
        self._jsparkSession = object()
        self.conf = FakeConf(enabled)


def fake_session_module(session: Any) -> types.ModuleType:
    class Builder:
        def getOrCreate(self) -> Any:
            return session

    module = types.ModuleType("fake_pyspark_session")
    module.SparkSession = type("SparkSession", (), {"Builder": Builder})  # type: ignore[attr-defined]
    return module


@pytest.fixture
def attach_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, bool]]:
    calls: list[tuple[Any, bool]] = []

    def record(session: Any, default_enabled: bool = True) -> None:
        calls.append((session, default_enabled))

    import spark_lineage.agent

    monkeypatch.setattr(spark_lineage.agent, "attach", record)
    monkeypatch.delenv("SPARK_LINEAGE_ENABLED", raising=False)
    return calls


def test_patched_get_or_create_attaches_when_the_conf_says_true(
    attach_calls: list[tuple[Any, bool]],
) -> None:
    session = FakeSession("true")
    module = fake_session_module(session)
    autoattach.patch_session_module(module)
    autoattach.patch_session_module(module)  # idempotent: wrapped once

    assert module.SparkSession.Builder().getOrCreate() is session
    assert module.SparkSession.Builder().getOrCreate() is session
    assert attach_calls == [(session, False)]  # once per session, autoattach defaults to off


@pytest.mark.parametrize("flag", [None, "false", "garbage"])
def test_no_attach_unless_enabled(attach_calls: list[tuple[Any, bool]], flag: str | None) -> None:
    module = fake_session_module(FakeSession(flag))
    autoattach.patch_session_module(module)
    module.SparkSession.Builder().getOrCreate()

    assert attach_calls == []


def test_environment_variable_turns_it_on(
    attach_calls: list[tuple[Any, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPARK_LINEAGE_ENABLED", "true")
    session = FakeSession(None)
    autoattach.maybe_attach(session)

    assert attach_calls == [(session, False)]


def test_a_failing_attach_never_reaches_the_job(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import spark_lineage.agent

    def explode(session: Any, default_enabled: bool = True) -> None:
        raise RuntimeError("attach bug")

    monkeypatch.setattr(spark_lineage.agent, "attach", explode)
    with caplog.at_level(logging.WARNING, logger="spark_lineage.autoattach"):
        autoattach.maybe_attach(FakeSession("true"))  # does not raise

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "spark-lineage: automatic attach failed; the job continues"
    ]
    assert warnings[0].exc_info is not None and "attach bug" in str(warnings[0].exc_info[1])


HOOK_PROBE = textwrap.dedent(
    """
    import sys
    hooks = [type(f).__name__ for f in sys.meta_path]
    print("HOOK" if "_SessionImportHook" in hooks else "NOHOOK")
    import pyspark.sql.session as s
    print("PATCHED" if getattr(s.SparkSession.Builder.getOrCreate, "_spark_lineage_wrapped", False)
          else "UNPATCHED")
    print("AGENT-IMPORTED" if "spark_lineage.agent" in sys.modules else "AGENT-NOT-IMPORTED")
    """
)


def run_probe(env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", HOOK_PROBE],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return result.stdout.split()


def test_installed_pth_arms_the_hook_in_every_new_interpreter() -> None:
    site_packages = [Path(p) for p in sys.path if p.endswith("site-packages")]
    assert any((p / "spark_lineage_autoattach.pth").exists() for p in site_packages)

    assert run_probe({"PATH": "/usr/bin:/bin"}) == ["HOOK", "PATCHED", "AGENT-NOT-IMPORTED"]


def test_hook_can_be_switched_off_entirely() -> None:
    env = {"PATH": "/usr/bin:/bin", "SPARK_LINEAGE_AUTOATTACH": "0"}
    assert run_probe(env) == ["NOHOOK", "UNPATCHED", "AGENT-NOT-IMPORTED"]
