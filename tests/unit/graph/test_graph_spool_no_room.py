"""A spool append refused part-way (no room: file-size limit, disk full) stores nothing of it.

The appends run in a child interpreter whose ``RLIMIT_FSIZE`` the child lowers itself (no root
needed; Python ignores SIGXFSZ, so the kernel answers ``EFBIG`` after writing what fits -- the
same partial write a full disk gives with ``ENOSPC``). The end-to-end counterpart with a real
Spark job is ``tests/reliability/test_reliability_disk_full.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from spark_lineage.sinks.spool import scan_file

CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from spark_lineage.model import AppContext, EventType, LineageEvent
    from spark_lineage.sinks.spool import Spool, SpoolError

    def event(n):
        return LineageEvent(run_id=f"run-{n}", event_type=EventType.COMPLETE, job_namespace="ns",
                            job_name="job", event_time_ms=n, started_at_ms=n, ended_at_ms=n,
                            app=AppContext("app", "name"))

    spool = Spool(Path(sys.argv[1]))
    outcome = {}
    spool.append(event(0))
    size = spool.own_path.stat().st_size
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + size // 2, hard))  # half an entry fits
    for n in (1, 2):
        try:
            spool.append(event(n))
            outcome[n] = "stored"
        except SpoolError as exc:
            outcome[n] = f"lost: {exc}"
    outcome["size_when_full"] = spool.own_path.stat().st_size
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    spool.append(event(3))
    outcome["file"] = str(spool.own_path)
    print(json.dumps(outcome))
    """
)


def test_an_append_refused_part_way_is_cut_back_and_the_next_entry_is_intact(
    tmp_path: Path,
) -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=True,
    )
    outcome = json.loads(child.stdout)
    scan = scan_file(Path(outcome["file"]))

    assert outcome["1"].startswith("lost: cannot write to the spool in")
    assert "File too large" in outcome["1"] and str(tmp_path) in outcome["1"]
    assert outcome["2"].startswith("lost:")
    first_entry = scan.entries[0].end_offset
    assert outcome["size_when_full"] == first_entry, "half an entry was left in the file"
    assert [entry.event.run_id for entry in scan.entries] == ["run-0", "run-3"]
    assert scan.corrupt_lines == 0 and scan.torn_tail_bytes == 0
