"""A class-data-sharing archive for the driver JVM of the project's own ``spark-submit`` jobs.

A demo job spends about a third of its start loading and verifying the same ~10,000 classes of
Spark as the job before it. The JVM can archive them once (``-XX:ArchiveClassesAtExit``) and map
the archive at later starts (``-XX:SharedArchiveFile``); measured with
``benchmarks/job_start.py``, that takes a job's start to its first query from about 11 s to
about 7.5 s here. The archive is an optimisation only: a JVM that finds it stale or foreign
ignores it (``-Xshare:auto``, the default) and starts as usual, so it can never fail a job.

The archive's name carries what it depends on (the java binary and the Spark jars), so a new JDK
or Spark line makes a new one. It is written by the first job under a name of its own and
published with an atomic rename only when that job succeeded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from importlib import metadata
from pathlib import Path

from spark_lineage.tools.jarset import cache_dir

#: Keep the JVM quiet about the archive (a stale one is not worth a warning on every start).
QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"


def java_binary() -> Path | None:
    """The java that ``spark-submit`` starts: ``$JAVA_HOME/bin/java``, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    candidate = Path(home, "bin", "java") if home else None
    if candidate is None or not candidate.exists():
        found = shutil.which("java")
        candidate = Path(found) if found else None
    return candidate.resolve() if candidate else None


def archive_key() -> str | None:
    """What the archive depends on, hashed; None when there is no java to key it on."""
    java = java_binary()
    if java is None:
        return None
    import pyspark

    jars = sorted(p.name for p in (Path(pyspark.__file__).parent / "jars").glob("*.jar"))
    text = "\n".join([str(java), metadata.version("pyspark"), *jars])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class DriverClassArchive:
    """The driver JVM options that use (or, the first time, write) the shared class archive."""

    def __init__(self, folder: Path | None = None) -> None:
        key = archive_key()
        self.folder = folder or cache_dir() / "cds"
        self.path = self.folder / f"spark-driver-{key}.jsa" if key else None
        self._writing: Path | None = None

    def java_options(self) -> str:
        """Options for ``spark.driver.extraJavaOptions`` (empty when no archive can be made)."""
        if self.path is None:
            return ""
        if self.path.is_file() and self.path.stat().st_size > 0:
            return f"-XX:SharedArchiveFile={self.path} {QUIET}"
        if self._writing is not None:  # another job of this run is writing it already
            return ""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._writing = self.folder / f"{self.path.name}.{os.getpid()}.tmp"
        return f"-XX:ArchiveClassesAtExit={self._writing} {QUIET}"

    def job_finished(self, succeeded: bool) -> None:
        """Publish the archive the first job wrote, if it succeeded; drop it otherwise."""
        writing, self._writing = self._writing, None
        if writing is None or self.path is None:
            return
        if succeeded and writing.is_file() and writing.stat().st_size > 0:
            os.replace(writing, self.path)
        else:
            writing.unlink(missing_ok=True)
