"""Running experiments on Temporal (the ``temporal`` extra): connection, payload
encryption, schedules, the workflow and its worker.

Importing this package imports nothing of temporalio: ``squall --version`` and local runs
stay fast. Only the modules that talk to Temporal (``connect.connect``, ``codec``, the
workflow and worker modules) import it, when they are used.
"""

from __future__ import annotations
