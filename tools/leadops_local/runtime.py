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
from types import ModuleType
from typing import Any

from leadops_local.template import ACCOUNT_ID, REGION, Function

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

    def __init__(self, function: Function, extra_env: dict[str, str] | None = None) -> None:
        self.function = function
        self.env = {**function.environment(), **(extra_env or {})}
        for name, value in FAKE_CREDENTIALS.items():
            self.env.setdefault(name, os.environ.get(name, value))
        self._handler: Callable[[Any, Any], Any] | None = None

    @property
    def module_name(self) -> str:
        return f"leadops_fn_{self.function.logical_id}"

    def _load(self) -> Callable[[Any, Any], Any]:
        module_path, _, attribute = self.function.handler.rpartition(".")
        source = self.function.code_dir.joinpath(*module_path.split(".")).with_suffix(".py")
        # Lambda puts the code folder and /opt/python (the layers) on the path.
        for folder in (self.function.code_dir, *self.function.layer_dirs):
            if str(folder) not in sys.path:
                sys.path.insert(0, str(folder))
        spec = importlib.util.spec_from_file_location(self.module_name, source)
        if spec is None or spec.loader is None:
            raise FileNotFoundError(f"{self.function.logical_id}: no handler module at {source}")
        module: ModuleType = importlib.util.module_from_spec(spec)
        sys.modules[self.module_name] = module
        spec.loader.exec_module(module)
        handler: Callable[[Any, Any], Any] = getattr(module, attribute)
        return handler

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
