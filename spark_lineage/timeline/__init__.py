"""The versions of one table or model over time: labels people put on them (``label``), the
``git log`` of data (``history``) and what changed between two versions (``diff``).

:mod:`.queries` holds the Cypher; versions are named through
:mod:`spark_lineage.names.versions`, so a label works wherever a version number does.
"""
