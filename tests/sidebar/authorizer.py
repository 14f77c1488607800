"""A Jupyter authorizer that refuses the ol-notebook API (the resource "ol") and allows the rest,
as a deployment that does not grant it would."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth import Authorizer


class RefuseLambdas(Authorizer):
    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "ol"
