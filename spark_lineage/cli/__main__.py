"""``python -m spark_lineage.cli``: the same as the ``spark-lineage`` command."""

import sys

from spark_lineage.cli.app import main

sys.exit(main())
