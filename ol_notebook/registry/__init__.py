"""Lambdas on disk: code, requirements, compiled pins and settings, versioned, switched atomically."""

from ol_notebook.registry.registry import LOCK, LambdaVersion, Registry, RegistryError, Rollback
from ol_notebook.registry.settings import HOST_NETWORK, InvalidSettings, LambdaSettings
from ol_notebook.registry.validate import InvalidLambda, validate_code, validate_name

__all__ = [
    "HOST_NETWORK",
    "LOCK",
    "InvalidLambda",
    "InvalidSettings",
    "LambdaSettings",
    "LambdaVersion",
    "Registry",
    "RegistryError",
    "Rollback",
    "validate_code",
    "validate_name",
]
