"""The local warehouse and what keeps it safe: table layout and publishing
(:mod:`.warehouse`, :mod:`.layout`), the exactly-once commit and recovery protocol
(:mod:`.commits`), catalog registration (:mod:`.catalog`), the warehouse lock
(:mod:`.lock`), path confinement (:mod:`.safepath`) and the failpoints crash tests use
(:mod:`.failpoints`).
"""

from __future__ import annotations

from dltflow.local.engines.capabilities import FORMATS
from dltflow.local.storage.layout import META_FILE, ONCE, VIEW_ROWS
from dltflow.local.storage.lock import lock_timeout, warehouse_lock
from dltflow.local.storage.safepath import inside
from dltflow.local.storage.warehouse import Warehouse

__all__ = ["FORMATS", "META_FILE", "ONCE", "VIEW_ROWS", "Warehouse", "inside", "lock_timeout",
           "warehouse_lock"]
