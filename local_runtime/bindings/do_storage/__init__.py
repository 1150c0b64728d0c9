"""A Durable Object's storage (``ctx.storage``): one SQLite file per object, as on Cloudflare.

``storage`` is ``ctx.storage`` itself; ``database`` the object's file under workerd's SQL
policy, with savepoint transactions; ``sql`` ``storage.sql`` and its cursors; ``kv`` the
key-value API's hidden table; ``alarms`` the object's one alarm.
"""

from local_runtime.bindings.do_storage.alarms import read_stored_alarm
from local_runtime.bindings.do_storage.storage import DurableObjectStorage, StorageTransaction

__all__ = ["DurableObjectStorage", "StorageTransaction", "read_stored_alarm"]
