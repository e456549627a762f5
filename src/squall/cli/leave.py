"""How the ``squall`` command leaves once its exit code is known.

Python's finalisation, after the exit handlers, frees every object one by one: about
5 M instructions for a trivial run, more with each activity (docs/performance.md).
What it does that anybody could notice is what an object's deallocation does: a
buffered file flushes, a temporary file is deleted, a zip file writes its directory.
Squall's own objects do not rely on it (it closes its journal, history and streams
itself). So when nothing else could have made such objects, squall leaves at once
(``os._exit``) after the exit handlers (``atexit``: the reaper, isolated children,
``weakref.finalize``, logging) and the flush of its streams:

- every loaded module is squall's own (its drivers, demo, workshop and test helpers
  excepted), or one of the standard library modules that a run loads without
  any user code (``HARMLESS``); a driver, a control, an extension, a python activity
  of any other module, or a tool loaded beside squall (coverage) all mean the usual
  exit;
- no thread but the main one is alive (the usual exit waits for non-daemon threads).

Otherwise Python finalises as usual. Under Temporal, squall always leaves this way
(temporalio's threads can abort the finalisation; temporalio/sdk-python#300).
"""

from __future__ import annotations

import sys

__all__ = ["HARMLESS", "exit_before_finalizing", "nothing_to_finalize", "only_harmless_modules"]

#: Standard library modules loaded by the interpreter's start (``python -m squall``'s
#: too) and by a local run with python activities (of these modules' functions only)
#: and process activities, PyYAML's (squall's YAML reader; its C loader's Cython
#: modules are ``_PREFIXES``), and ``zlib`` (a large journal compressed for the run
#: history). None keeps data that only its objects' deallocation would write or delete
#: (the history's SQLite connection is closed before: ``_sqlite3`` alone is here, not
#: the ``sqlite3`` package a user's code would import).
HARMLESS = frozenset(
    {
        "__future__", "__main__", "_abc", "_codecs", "_collections", "_collections_abc",
        "_contextvars", "_datetime", "_distutils_hack", "_frozen_importlib",
        "_frozen_importlib_external", "_functools", "_imp", "_io", "_json", "_locale",
        "_operator", "_posixsubprocess", "_sha256", "_signal", "_sitebuiltins", "_sqlite3",
        "_sre", "_stat", "_struct", "_thread", "_warnings", "_weakref", "_weakrefset",
        "abc", "atexit", "base64", "binascii", "builtins", "codecs", "collections",
        "collections.abc", "contextlib", "contextvars", "copyreg", "cython_runtime",
        "datetime", "encodings", "encodings.aliases", "encodings.utf_8", "enum", "errno",
        "fcntl", "functools", "gc", "genericpath", "importlib", "importlib._abc",
        "importlib._bootstrap", "importlib._bootstrap_external", "importlib.machinery",
        "importlib.util", "io", "itertools", "json", "json.decoder", "json.encoder",
        "json.scanner", "keyword", "locale", "marshal", "math", "operator", "os", "os.path",
        "posix", "posixpath", "re", "re._casefix", "re._compiler", "re._constants",
        "re._parser", "reprlib", "runpy", "select", "selectors", "signal", "site", "stat",
        "struct", "subprocess", "sys", "threading", "time", "types", "warnings", "weakref",
        "yaml", "zipimport", "zlib",
    }
)  # fmt: skip

#: harmless by their names' start: codecs (no state), PyYAML's modules and Cython's
_PREFIXES = ("encodings.", "yaml.", "_cython_")

#: squall's packages that hold code written like third-party code (drivers, with their
#: daemons and files; the demo system, the workshop, test helpers): the usual exit
_OTHERS = ("squall.drivers", "squall.demo", "squall.workshop", "squall.testing")


def nothing_to_finalize() -> bool:
    """True when leaving without Python's finalisation loses nothing (module docstring)."""
    import _thread

    # another thread alive (even a daemon one): the usual exit
    return not _thread._count() and only_harmless_modules()


def only_harmless_modules() -> bool:
    """True when every loaded module is squall's own or in ``HARMLESS``."""
    for name in list(sys.modules):
        if name in HARMLESS or name.startswith(_PREFIXES):
            continue
        if name != "squall" and not name.startswith("squall."):
            return False
        if name.startswith(_OTHERS):
            return False
    return True


def exit_before_finalizing(code: int) -> None:
    """Leave now with ``code``: the exit handlers run first, as at a normal exit, then
    the streams are flushed (exit 120 when that fails, as Python's own exit does)."""
    import atexit
    import os

    atexit._run_exitfuncs()
    logging = sys.modules.get("logging")
    if logging is not None:  # its exit handler ran already, unless it was removed
        logging.shutdown()
    for stream in (sys.stdout, sys.stderr):  # the masked streams: what waits goes out
        try:
            getattr(stream, "drain", stream.flush)()
        except ValueError:  # closed by someone: nothing to flush (Python skips it too)
            pass
        except OSError:
            code = 120
    os._exit(code)
