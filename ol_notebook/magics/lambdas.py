"""Handles of the deployed lambdas, whoever deployed them: `ol_notebook.lambdas["hello"]` gets one
back after a kernel restart without deploying again; and binding a handle to a notebook variable
without clobbering what the variable held unnoticed.

`ol_notebook.lambdas` follows the engine of the moment: the loaded magics' client when the
extension is loaded in this kernel (so handles share its connection, and tracebacks of lambdas
deployed from cells are shown in cell lines), else a client of its own, connected the same way.
"""

from __future__ import annotations

import builtins
import keyword
import sys
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from ol_notebook.errors import OLError
from ol_notebook.magics.client import Client, connect
from ol_notebook.magics.handle import LambdaHandle

# What gives the engine of the moment: its client, and how it makes a lambda's handle.
Source = Callable[[], tuple[Client, Callable[[str], LambdaHandle]]]


class UnknownLambda(OLError, KeyError):
    """`lambdas[name]` of a lambda that is not deployed: the message names it and the deployed ones."""

    def __str__(self) -> str:
        return str(self.args[0])  # not KeyError's repr of it


class Lambdas(Mapping[str, LambdaHandle]):
    """The deployed lambdas of an engine, by name: `lambdas["hello"](event)`, `"hello" in lambdas`."""

    def __init__(self, source: Source):
        self._source = source

    def __getitem__(self, name: str) -> LambdaHandle:
        client, handle = self._source()
        names = _names(client)
        if name not in names:
            raise UnknownLambda(f"there is no lambda named {name!r} on {client.where} "
                                f"(deployed: {', '.join(names) or 'none'})")
        return handle(name)

    def __contains__(self, name: object) -> bool:
        return name in _names(self._source()[0])

    def __iter__(self) -> Iterator[str]:
        return iter(_names(self._source()[0]))

    def __len__(self) -> int:
        return len(_names(self._source()[0]))

    def __repr__(self) -> str:
        client, _ = self._source()
        return f"<lambdas on {client.where}: {', '.join(_names(client)) or 'none deployed'}>"


def _names(client: Client) -> list[str]:
    return [item["name"] for item in client.lambdas()]


_own: Client | None = None  # connected when `ol_notebook.lambdas` is used without the extension


def current() -> tuple[Client, Callable[[str], LambdaHandle]]:
    """The loaded magics' client and handles if the extension is loaded in this kernel, else our own."""
    global _own
    magics = _loaded_magics()
    if magics is not None:
        return magics.client, magics.handle
    if _own is None:
        _own = connect()
    own = _own
    return own, lambda name: LambdaHandle(own, name)


def _loaded_magics() -> Any:
    if "IPython" not in sys.modules:  # no shell in this process: nothing to look up (nor import)
        return None
    from ol_notebook.magics.magics import OLMagics  # here: the magics module imports this one

    shell = sys.modules["IPython"].get_ipython()
    return None if shell is None else shell.magics_manager.registry.get(OLMagics.__name__)


LAMBDAS = Lambdas(current)


@dataclass(frozen=True)
class Binding:
    """What binding a handle to its variable did: `bound`, and `message` when there is something to say."""

    variable: str
    bound: bool
    message: str | None = None


def bind(namespace: MutableMapping[str, Any], handle: LambdaHandle, *, clobber: bool) -> Binding:
    """Put `handle` in the variable named like its lambda ('-' becomes '_').

    A variable holding that lambda's handle (or nothing) is bound silently. One holding something
    else, or a name that would shadow a builtin, is bound only with `clobber` (the user named the
    lambda in this very cell) and with a message saying what was replaced; without it, left as is
    with a message saying why and how to get the handle anyway.
    """
    name = handle.name
    variable = name.replace("-", "_")
    anyway = f'ol_notebook.lambdas["{name}"]'
    if keyword.iskeyword(variable):
        return Binding(variable, False, f"lambda {name!r} gets no variable: {variable} is a Python keyword; "
                                        f"its handle: {anyway}")
    held = namespace.get(variable, _NOTHING)
    free = not hasattr(builtins, variable) if held is _NOTHING else isinstance(held, LambdaHandle) and held.name == name
    if free:
        namespace[variable] = handle
        return Binding(variable, True)
    lost = f"the builtin {variable}" if held is _NOTHING else f"the variable {variable}, which held {described(held)}"
    if not clobber:
        return Binding(variable, False, f"{variable} not bound: it would replace {lost}; the handle: {anyway}")
    namespace[variable] = handle
    if held is _NOTHING:
        return Binding(variable, True, f"the handle of lambda {name!r} now shadows {lost} (del {variable} brings "
                                       f"the builtin back; {anyway} gets a handle without a variable)")
    return Binding(variable, True, f"the handle of lambda {name!r} replaced {lost} (name the lambda otherwise to "
                                   f"keep both; {anyway} gets a handle without a variable)")


_NOTHING = object()


def described(value: Any) -> str:
    """What a variable holds, in a few words: "a list", "the handle of lambda 'df'" (never its repr: a
    DataFrame's may be slow)."""
    if isinstance(value, LambdaHandle):
        return f"the handle of lambda {value.name!r}"
    kind = type(value).__qualname__
    return f"a{'n' if kind[:1].lower() in 'aeiou' else ''} {kind}"
