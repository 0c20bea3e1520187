"""Ships the ``spark_lineage_autoattach.pth`` start-up hook into site-packages.

Everything else about the package lives in pyproject.toml. The hook file is generated here (not a
data file: setuptools' ``data_files`` land under ``sys.prefix``, not in site-packages) and added
to the wheel root for a normal install (``build_py``) and for an editable install (``pip install
-e``, PEP 660), where setuptools builds a wheel that holds only path hooks. See
spark_lineage/autoattach.py for what the hook does and why it costs nothing when not enabled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_py import build_py

PTH_NAME = "spark_lineage_autoattach.pth"
# One line: .pth files run lines that start with "import". Guarded so that a broken or removed
# package never breaks interpreter start-up; SPARK_LINEAGE_AUTOATTACH=0 skips even the import.
PTH_TEXT = (
    "import os, sys; exec('try:\\n from spark_lineage import autoattach\\n autoattach.install()"
    "\\nexcept Exception:\\n pass') if os.environ.get('SPARK_LINEAGE_AUTOATTACH', '1').lower() "
    "not in ('0', 'false', 'no', 'off') else None\n"
)


class BuildPyWithPth(build_py):
    """Regular wheels: put the hook next to the package at the wheel root."""

    def run(self) -> None:
        super().run()
        if not getattr(self, "editable_mode", False):
            Path(self.build_lib, PTH_NAME).write_text(PTH_TEXT, encoding="utf-8")

    def get_outputs(self, *args: Any, **kwargs: Any) -> list[str]:
        outputs = list(super().get_outputs(*args, **kwargs))
        if not getattr(self, "editable_mode", False):
            outputs.append(str(Path(self.build_lib, PTH_NAME)))
        return outputs


cmdclass: dict[str, Any] = {"build_py": BuildPyWithPth}

try:
    from setuptools.command.editable_wheel import editable_wheel
except ImportError:  # setuptools < 64: no PEP 660 editable installs
    pass
else:

    class _StrategyWithPth:
        """Wraps setuptools' editable strategy to also write the hook into the wheel."""

        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def __call__(self, wheel: Any, files: Any, mapping: Any) -> None:
            self._inner(wheel, files, mapping)
            wheel.writestr(PTH_NAME, PTH_TEXT.encode("utf-8"))

        def __enter__(self) -> _StrategyWithPth:
            self._inner.__enter__()
            return self

        def __exit__(self, *exc: Any) -> Any:
            return self._inner.__exit__(*exc)

    class EditableWheelWithPth(editable_wheel):  # type: ignore[misc]
        """Editable installs: the same hook, next to setuptools' ``__editable__`` path hook."""

        def _select_strategy(self, *args: Any, **kwargs: Any) -> Any:
            return _StrategyWithPth(super()._select_strategy(*args, **kwargs))

    cmdclass["editable_wheel"] = EditableWheelWithPth

setup(cmdclass=cmdclass)
