"""Cold start: a function's app.py imports this module first and calls ``ready()`` when its
module-level set-up is done.

Loading Powertools, pydantic and the models allocates hundreds of thousands of long-lived
objects, and CPython's cyclic garbage collector runs over and over during that import storm
while finding nothing to free (measured: a fifth of the webhook's init). So the collector is held
off while the modules load; ``ready()`` then freezes everything loaded so far into the permanent
generation (later collections, on warm requests, never walk it again) and turns collection back
on. Nothing is lost: objects created during init are never garbage anyway, and any cycles that
were are simply kept for the container's life (bounded by the import itself). The SDK,
which loads with the first AWS call, gets the same treatment in leadops.adapters.aws.

Pydantic's plugin discovery is switched off (``PYDANTIC_DISABLE_PLUGINS``, unless the
environment says otherwise): with the first model built it would read the metadata of every
installed distribution looking for an entry point no leadops dependency has (measured: a
quarter of the score function's init in the development environment).
"""

from __future__ import annotations

import gc
import os

gc.disable()
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def ready() -> None:
    """Module-level set-up done: freeze what init created and collect normally from now on."""
    gc.freeze()
    gc.enable()
