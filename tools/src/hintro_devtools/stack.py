"""The supervisor: infrastructure, then every service, each until its /readyz says 200.

From the command line (``python -m hintro_devtools run``, i.e. ``make run``) it runs until Ctrl-C
or SIGTERM, restarting a service that dies (:meth:`Stack.supervise`), then stops every process
(SIGTERM, a bounded wait, SIGKILL for stragglers) and the nx-27017 it started, and exits 0. As a
library (e2e tests, the benchmark) it is an async context manager::

    async with Stack(profile="test", free_ports=True, echo=False) as stack:
        ... stack.gateway_url, stack.url("auth") ...
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sys
import time
from collections import deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import aiohttp

from hintro_devtools.infra import PROFILES, Infra, InfraError, ensure_infra
from hintro_devtools.mailsink import MailSink
from hintro_devtools.output import LogSink
from hintro_devtools.restarts import CrashHistory, RestartPolicy, how_it_ended
from hintro_devtools.services import (
    SERVICES,
    Instance,
    ServiceSpec,
    instance_env,
    plan_instances,
    runnable,
)
from hintro_devtools.workspace import repo_root

LOG_TAIL_LINES = 30
EXIT_POLL_SECONDS = 0.2
READ_LIMIT = 1024 * 1024  # a long JSON log line must not break the reader
INFRA_VARS = ("MONGO_URL", "RABBITMQ_URL", "REDIS_URL")
MAIL_PORT = 8025  # `make run`'s mail sink (a free port when taken)


class StackError(RuntimeError):
    """The stack could not start; the message names the service and shows its last lines."""


@dataclass
class Running:
    """A spawned instance: its process, its recent output and the task that reads it."""

    instance: Instance
    process: asyncio.subprocess.Process
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_TAIL_LINES))
    reader: asyncio.Task[None] | None = None
    exited: asyncio.Task[int] | None = None

    def last_lines(self) -> str:
        """Its recent output, indented, for error messages."""
        return "\n".join(f"    {line}" for line in self.lines) or "    (no output)"


class Stack:
    """Starts and stops the infrastructure and the services; see the module docstring."""

    def __init__(
        self,
        *,
        profile: str = "run",
        services: Sequence[ServiceSpec] = SERVICES,
        only: Collection[str] | None = None,
        ports: Mapping[str, int] | None = None,
        replicas: Mapping[str, int] | None = None,
        free_ports: bool = False,
        env: Mapping[str, str] | None = None,
        service_env: Mapping[str, Mapping[str, str]] | None = None,
        mongo_db_suffix: str | None = None,
        start_infra: bool = True,
        ready_timeout: float = 60.0,
        stop_timeout: float = 15.0,
        echo: bool = True,
        color: bool | None = None,
        log_path: Path | None = None,
        root: Path | None = None,
    ) -> None:
        """``only``: start just these services (every service it starts must be runnable, else
        :class:`StackError`);
        ``ports``/``replicas``/``free_ports``: see :func:`plan_instances`; ``env``: overlay for
        every process (and the infrastructure URLs); ``service_env``: per-service overlay;
        ``mongo_db_suffix``: MONGO_DB=hintro_<service>_<suffix> (fresh databases per run)."""
        self.profile = PROFILES[profile]
        self.root = root or repo_root()
        self.instances = plan_instances(
            services, ports=ports, replicas=replicas, free_ports=free_ports
        )
        self._only = set(only) if only is not None else None
        self._env = dict(env or {})
        self._service_env = {name: dict(values) for name, values in (service_env or {}).items()}
        self._mongo_db_suffix = mongo_db_suffix
        self._start_infra = start_infra
        self._ready_timeout = ready_timeout
        self._stop_timeout = stop_timeout
        self._sink = LogSink(
            [instance.name for instance in self.instances],
            echo=echo,
            color=color,
            log_path=log_path,
        )
        self.infra: Infra | None = None
        self.mail: MailSink | None = None
        self.infra_env: dict[str, str] = {}
        self.running: dict[str, Running] = {}
        self._stopping = False
        self._force = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self.restarts: dict[str, int] = {}  # instance name -> times the supervisor restarted it

    # -- what tests read -------------------------------------------------------------------

    def url(self, name: str) -> str:
        """Base URL of a running instance (``auth``, ``realtime-2``)."""
        if name not in self.running:
            raise KeyError(f"{name} is not running (running: {', '.join(self.running) or 'none'})")
        return self.running[name].instance.url

    @property
    def urls(self) -> dict[str, str]:
        """Instance name -> base URL, for every running instance."""
        return {name: item.instance.url for name, item in self.running.items()}

    @property
    def gateway_url(self) -> str:
        """The public entry point."""
        return self.url("gateway")

    def mongo_db(self, service: str) -> str | None:
        """The database name a service was told to use (None: the service's default)."""
        if service in self._service_env and "MONGO_DB" in self._service_env[service]:
            return self._service_env[service]["MONGO_DB"]
        return f"hintro_{service}_{self._mongo_db_suffix}" if self._mongo_db_suffix else None

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Stack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def say(self, message: str) -> None:
        """A line from the supervisor itself."""
        self._sink.line("stack", message)

    async def start(self) -> None:
        """Infrastructure, then every chosen service, then wait until all are ready. On any
        failure (or cancellation) everything started so far is stopped again."""
        began = time.monotonic()
        try:
            await self._start_infrastructure()
            for instance in self._select():
                await self._spawn(instance)
            await self._wait_all_ready()
        except BaseException:
            await asyncio.shield(self.stop())
            raise
        self._announce(time.monotonic() - began)

    def _base_env(self) -> dict[str, str]:
        base = {**os.environ, **self._env}
        # A MONGO_DB in the caller's shell would make every service share one database.
        base.pop("MONGO_DB", None)
        return base

    async def _start_infrastructure(self) -> None:
        base = self._base_env()
        if self._start_infra:
            try:
                self.infra = await asyncio.to_thread(
                    ensure_infra, self.profile.name, env=base, root=self.root
                )
            except InfraError as exc:
                raise StackError(str(exc)) from exc
            self.infra_env = self.infra.env()
        else:
            self.infra_env = {var: base[var] for var in INFRA_VARS if var in base}
        if self.profile.name == "run" and "SMTP_HOST" not in base:
            # Nothing leaves the machine: the services mail a local sink that files every
            # message under .run/mail/.
            self.mail = MailSink(port=MAIL_PORT, directory=self.root / ".run" / "mail")
            try:
                self.mail.start()
            except OSError:
                self.mail = MailSink(directory=self.root / ".run" / "mail").start()
            self.infra_env.update(self.mail.env())
        # The services' shared secret for /internal/ routes (board projection reconciliation):
        # one per stack unless given, never written anywhere.
        self.infra_env["INTERNAL_TOKEN"] = base.get("INTERNAL_TOKEN") or secrets.token_urlsafe(32)

    def _select(self) -> list[Instance]:
        """The instances to start. A service that cannot run (not installed, no __main__) is an
        error rather than quietly left out: a stack missing a service misleads whoever uses it."""
        known = {instance.spec.name for instance in self.instances}
        if self._only is not None and (unknown := sorted(self._only - known)):
            raise StackError(
                f"unknown service(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        extra_paths = [p for p in self._base_env().get("PYTHONPATH", "").split(os.pathsep) if p]
        chosen = [
            instance
            for instance in self.instances
            if self._only is None or instance.spec.name in self._only
        ]
        for spec in {instance.spec.name: instance.spec for instance in chosen}.values():
            if not runnable(spec.module, extra_paths):
                raise StackError(
                    f"{spec.name} cannot run: `python -m {spec.module}` finds no module or no "
                    "__main__.py (run `make install`, or leave it out with --only)"
                )
        return chosen

    def env_for(self, instance: Instance) -> dict[str, str]:
        """The complete environment of one process."""
        base = self._base_env()
        env = instance_env(
            instance,
            self.instances,
            environment=self.profile.environment,
            infra_env=self.infra_env,
            log_level=base.get("LOG_LEVEL", "INFO"),
            root=self.root if self.profile.name == "run" else None,
            mongo_db=self.mongo_db(instance.spec.name),
        )
        return {**base, **env, **self._env, **self._service_env.get(instance.spec.name, {})}

    async def _spawn(self, instance: Instance) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            instance.spec.module,
            cwd=self.root,
            env=self.env_for(instance),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            limit=READ_LIMIT,
            # Its own process group: a Ctrl-C reaches only the supervisor, which then SIGTERMs it.
            process_group=0,
        )
        running = Running(instance, process)
        running.reader = asyncio.create_task(self._read(running))
        running.exited = asyncio.create_task(_exit_code(process))
        self.running[instance.name] = running

    async def _read(self, running: Running) -> None:
        stream = running.process.stdout
        assert stream is not None
        while True:
            try:
                raw = await stream.readline()
            except ValueError:  # longer than READ_LIMIT: take what is buffered
                raw = await stream.read(READ_LIMIT)
            if not raw:
                return
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            running.lines.append(text)
            self._sink.line(running.instance.name, text)

    async def _wait_all_ready(self) -> None:
        deadline = time.monotonic() + self._ready_timeout
        timeout = aiohttp.ClientTimeout(total=2.0)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            waits = [
                asyncio.create_task(self._wait_ready(running, session, deadline))
                for running in self.running.values()
            ]
            try:
                for finished in asyncio.as_completed(waits):
                    await finished  # the first failure propagates at once
            finally:
                for wait in waits:
                    wait.cancel()
                await asyncio.gather(*waits, return_exceptions=True)

    async def _wait_ready(
        self, running: Running, session: aiohttp.ClientSession, deadline: float
    ) -> None:
        assert running.exited is not None
        url = f"{running.instance.url}/readyz"
        last = "no answer yet"
        while True:
            if running.exited.done():
                await self._drain_output(running)
                raise StackError(
                    self._describe(
                        running, f"exited with code {running.exited.result()} before it was ready"
                    )
                )
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
                    last = f"{response.status} {(await response.text())[:300]}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                last = f"{type(exc).__name__} {exc}".strip()
            if time.monotonic() >= deadline:
                raise StackError(
                    self._describe(
                        running,
                        f"was not ready within {self._ready_timeout:.0f}s (last answer of "
                        f"GET {url}: {last})",
                    )
                )
            # Wake early if it dies meanwhile.
            await asyncio.wait({running.exited}, timeout=0.2)

    async def _drain_output(self, running: Running) -> None:
        if running.reader is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(running.reader), 2.0)

    def _describe(self, running: Running, what: str) -> str:
        instance = running.instance
        return (
            f"{instance.name} (python -m {instance.spec.module}, port {instance.port}) {what}. "
            f"Its last lines:\n{running.last_lines()}"
        )

    def _announce(self, elapsed: float) -> None:
        self.say(f"ready in {elapsed:.1f}s")
        gateway = self.urls.get("gateway")
        served = self._web_app_served()
        if gateway is not None:
            self.say("")
            if served:
                self.say(f"  >>> Hintro is running: open {gateway}/ in your browser <<<")
            else:
                self.say(
                    f"  The API is at {gateway}/api; the web app is not built (it needs Node.js "
                    "and npm: install them and rerun `make run`)"
                )
            self.say("")
        for name, url in self.urls.items():
            start_here = name == "gateway" and served
            self.say(f"  {name:<10} {url}" + ("/   <- the web app" if start_here else ""))
        if self.mail is not None and self.mail.directory is not None:
            self.say(
                f"  {'mail':<10} smtp://{self.mail.host}:{self.mail.port}: every e-mail sent "
                f"is filed in {self.mail.directory}/ (one .eml file each)"
            )

    def _web_app_served(self) -> bool:
        """Whether the gateway serves a web app: ``WEB_DIST_DIR`` given, or the checkout's build
        (which the gateway serves by default in development)."""
        gateway_env = self._service_env.get("gateway", {})
        if any(env.get("WEB_DIST_DIR") for env in (gateway_env, self._env, os.environ)):
            return True
        built = (self.root / "web" / "dist" / "index.html").is_file()
        return built and self.profile.environment == "development"

    async def supervise(self, policy: RestartPolicy | None) -> None:
        """Watch every running instance until the stack stops. With a ``policy``, an instance
        that exits is restarted with backoff (each step said in the log) and this raises
        :class:`StackError` only when one crashes too often (:mod:`hintro_devtools.restarts`);
        without one, the first exit raises it. Returns when :meth:`stop` is called."""
        watchers = [asyncio.create_task(self._watch(name, policy)) for name in list(self.running)]
        try:
            for finished in asyncio.as_completed(watchers):
                await finished  # the first failure propagates at once
        finally:
            for watcher in watchers:
                watcher.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)

    async def _watch(self, name: str, policy: RestartPolicy | None) -> None:
        history = CrashHistory(policy) if policy is not None else None
        while True:
            running = self.running[name]
            assert running.exited is not None
            # Shielded: cancelling this watcher must not cancel the wait stop() relies on.
            code = await asyncio.shield(running.exited)
            if self._stopping:
                return
            if _group_alive(running.process):
                # Workers it forked (WORKERS > 1) outlive it, keeping its port and its output.
                self.say(f"{name} left processes in its group: SIGKILL")
                _signal_group(running.process, signal.SIGKILL)
            await self._drain_output(running)
            ended = how_it_ended(code)
            if policy is None or history is None:
                raise StackError(self._describe(running, ended))
            crashes = history.record()
            window = f"{policy.window_seconds:g}s"
            if history.gives_up(crashes):
                raise StackError(
                    self._describe(
                        running,
                        f"{ended}: {crashes} crashes within {window}, giving up",
                    )
                )
            delay = policy.delay(crashes)
            self.say(
                f"{name} {ended} (crash {crashes} of {policy.max_crashes} allowed within "
                f"{window}): restarting in {delay:g}s"
            )
            # The backoff itself; stop() cuts it short.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_requested.wait(), delay)
            if self._stopping:
                return
            await self._spawn(running.instance)
            self.restarts[name] = self.restarts.get(name, 0) + 1
            restarted = self.running[name]
            if self._stopping:  # stop() began during the spawn and did not see this process
                _signal_group(restarted.process, signal.SIGKILL)
                await restarted.process.wait()
                return
            self.say(f"{name} restarted (pid {restarted.process.pid})")
            await self._report_ready_again(restarted)

    async def _report_ready_again(self, running: Running) -> None:
        """Say when a restarted instance is ready; if it dies first, its watcher sees that."""
        deadline = time.monotonic() + self._ready_timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2.0)) as session:
            try:
                await self._wait_ready(running, session, deadline)
            except StackError as exc:
                if running.exited is not None and running.exited.done():
                    return
                self.say(f"warning: {str(exc).splitlines()[0]}")
                return
        self.say(f"{running.instance.name} ready again")

    def kill_now(self) -> None:
        """Skip the rest of the graceful wait (a second Ctrl-C)."""
        self._force.set()

    async def stop(self) -> None:
        """SIGTERM every instance, wait up to ``stop_timeout``, SIGKILL stragglers; stop the
        nx-27017 we started. Safe to call more than once."""
        if self._stopping:
            return
        self._stopping = True
        self._stop_requested.set()  # a watcher in its backoff wakes and restarts nothing
        alive = [item for item in self.running.values() if item.process.returncode is None]
        for item in alive:
            _signal_group(item.process, signal.SIGTERM)
        exits = [item.exited for item in alive if item.exited is not None]
        if exits:
            all_exited: asyncio.Future[object] = asyncio.ensure_future(
                asyncio.gather(*exits, return_exceptions=True)
            )
            force: asyncio.Future[object] = asyncio.ensure_future(self._force.wait())
            await asyncio.wait(
                {all_exited, force}, timeout=self._stop_timeout, return_when=asyncio.FIRST_COMPLETED
            )
            force.cancel()
            for item in alive:
                if item.process.returncode is None:
                    self.say(f"{item.instance.name} still running after SIGTERM: SIGKILL")
                    _signal_group(item.process, signal.SIGKILL)
            await asyncio.gather(*exits, return_exceptions=True)
        readers = [item.reader for item in self.running.values() if item.reader is not None]
        if readers:
            await asyncio.wait(readers, timeout=2.0)
        for item in self.running.values():
            if item.reader is not None:
                item.reader.cancel()
        for item in alive:
            self.say(f"{item.instance.name} stopped (exit {item.process.returncode})")
        if self.infra is not None:
            await asyncio.to_thread(self.infra.stop)
        if self.mail is not None:
            await asyncio.to_thread(self.mail.stop)
        self._sink.close()


def _signal_group(process: asyncio.subprocess.Process, signum: int) -> None:
    """Signal the instance's whole process group (it may have children of its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _group_alive(process: asyncio.subprocess.Process) -> bool:
    """Whether any process of the instance's process group is still there."""
    try:
        os.killpg(process.pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


async def _exit_code(process: asyncio.subprocess.Process) -> int:
    """The process's exit code, as soon as it has exited. ``process.wait()`` alone also waits
    until its output pipe closes, which a child it forked (``WORKERS`` > 1) keeps open: the
    return code, set when the child watcher reaps it, is looked at as well."""
    waiting = asyncio.ensure_future(process.wait())
    try:
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=EXIT_POLL_SECONDS)
            if done:
                return waiting.result()
            if process.returncode is not None:
                return process.returncode
    finally:
        waiting.cancel()
