"""JSONPath with the reference's semantics: the ``jsonpath`` extra of chaostoolkit-lib
installs ``jsonpath2``, so squall evaluates paths with the same library (imported on
first use).

What that means for a tolerance's ``path`` (see docs/reference/format.md):

- a filter ``[?(...)]`` tests the node it follows, not that node's children:
  ``$.items[*][?(@.v > 1)]`` keeps the items whose ``v`` is above 1, while
  ``$.items[?(@.v > 1)]`` tests the list itself (a list has no ``v``: no match);
- a comparison with a missing key is false (``!=`` too), and ``<``, ``<=``, ``>``, ``>=``
  compare numbers only;
- ``*`` yields an object's values or a list's items, never a string's characters;
  slices ``[start:end:step]`` and negative indexes work as in Python;
- the filter operators are ``and``, ``or``, ``not`` (and ``=`` as well as ``==``).
"""

from __future__ import annotations

from functools import lru_cache

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["compile_jsonpath", "jsonpath_values"]


@lru_cache(maxsize=256)
def compile_jsonpath(path: str) -> Any:
    """The parsed path.

    Raises:
        ValueError: the path is not valid JSONPath (``line 1:COLUMN`` and what was expected).
    """
    import antlr4
    from jsonpath2 import parser as grammar
    from jsonpath2.path import Path

    # jsonpath2.parser.parse_str, without antlr's console listener (it would print every
    # syntax error to stderr before the error is raised)
    errors = grammar._ConsoleErrorListener()
    lexer = grammar.JSONPathLexer(antlr4.InputStream(path))
    lexer.removeErrorListeners()
    lexer.addErrorListener(errors)
    parser = grammar._JSONPathParser(antlr4.CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    tree = parser.jsonpath()
    listener = grammar._JSONPathListener(_stack=[])
    antlr4.ParseTreeWalker().walk(listener, tree)
    return Path(listener._stack.pop())


def jsonpath_values(path: str, document: Any) -> list[Any]:
    """The values ``path`` matches in ``document``, in document order.

    Raises:
        ValueError: the path is not valid JSONPath.
    """
    return [match.current_value for match in compile_jsonpath(path).match(document)]
