"""A function as the Lambda runtime runs it: its environment, its layers on the import path,
its handler imported once (a warm container) and called with an event and a context.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from leadops_local.template import ACCOUNT_ID, REGION, Function, SamTemplate

# os.environ is process-wide: one invocation at a time, each under its own function's variables.
_INVOKE_LOCK = threading.RLock()
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@dataclass
class LambdaContext:
    """The attributes and method of the context object the Python runtime passes."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_stream_name: str = "local"
    identity: Any = None  # Cognito identity: only for invocations through the mobile SDK
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_s - elapsed) * 1000))


@contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """``variables`` set in os.environ for the duration, the previous values restored after."""
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class LocalFunction:
    """One function of the template, loaded the way Lambda loads it."""

    def __init__(self, function: Function, extra_env: dict[str, Any] | None = None) -> None:
        self.function = function
        overrides = {name: _env_text(value) for name, value in (extra_env or {}).items()}
        self.env = {**function.environment(), **overrides}
        for name, value in FAKE_CREDENTIALS.items():
            self.env.setdefault(name, os.environ.get(name, value))
        self._handler: Callable[[Any, Any], Any] | None = None
        self.module: ModuleType | None = None  # the container's app module, once imported

    @property
    def module_name(self) -> str:
        return f"leadops_fn_{self.function.logical_id}"

    def _load(self) -> Callable[[Any, Any], Any]:
        module_path, _, attribute = self.function.handler.rpartition(".")
        source = self.function.code_dir.joinpath(*module_path.split(".")).with_suffix(".py")
        # Lambda's path: the code folder (/var/task) first, then the layers (/opt/python, /opt).
        folders = [self.function.code_dir]
        for layer in self.function.layer_dirs:
            folders += [layer / "python", layer] if (layer / "python").is_dir() else [layer]
        for folder in reversed(folders):
            if str(folder) not in sys.path:
                sys.path.insert(0, str(folder))
        spec = importlib.util.spec_from_file_location(self.module_name, source)
        if spec is None or spec.loader is None or not source.is_file():
            raise FileNotFoundError(f"{self.function.logical_id}: no handler module at {source}")
        module: ModuleType = importlib.util.module_from_spec(spec)
        sys.modules[self.module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[self.module_name]  # a failed init is retried, as Lambda does
            raise
        self.module = module
        handler = getattr(module, attribute, None)
        if not callable(handler):
            raise AttributeError(f"{self.function.logical_id}: {source} has no {attribute}()")
        return handler  # type: ignore[no-any-return]

    def invoke(self, event: Any) -> Any:
        """Call the handler (importing it on first use) under the function's environment."""
        with _INVOKE_LOCK, environment(self.env):
            return self.handler()(event, self.context())

    def handler(self) -> Callable[[Any, Any], Any]:
        """The imported handler, for callers that apply ``self.env`` themselves (tests that run
        many concurrent invocations of one function, as many Lambda containers would)."""
        with _INVOKE_LOCK, environment(self.env):
            if self._handler is None:
                self._handler = self._load()
            return self._handler

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.function.name,
            memory_limit_in_mb=self.function.memory,
            timeout_s=self.function.timeout,
        )


def _env_text(value: Any) -> str:
    """An --env-vars value as a string (sam accepts JSON numbers and booleans too)."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def env_overrides(env_vars: dict[str, Any], logical_id: str) -> dict[str, str]:
    """A function's variables from a sam ``--env-vars`` document: ``Parameters`` applies to
    every function, the function's own entry (by logical id) wins over it."""
    merged: dict[str, str] = {}
    for section in (env_vars.get("Parameters"), env_vars.get(logical_id)):
        if isinstance(section, dict):
            merged.update({name: _env_text(value) for name, value in section.items()})
    return merged


def load_function(
    logical_id: str,
    template: SamTemplate | Path | str = "template.yaml",
    extra_env: dict[str, Any] | None = None,
    overrides: dict[str, str] | None = None,
) -> LocalFunction:
    """A function of the template, ready to ``invoke(event)`` as ``leadops_local`` runs it:
    its environment (Globals + its own, intrinsics resolved, Lambda's variables), its layers
    and code on the import path, its handler imported on first use under a unique name.
    ``overrides`` are template parameter values (``--parameter-overrides``)."""
    if not isinstance(template, SamTemplate):
        template = SamTemplate.load(Path(template), overrides)
    return LocalFunction(template.function(logical_id), extra_env)
