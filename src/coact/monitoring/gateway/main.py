"""Start the gateway process: Django for the device registry and storage, then asyncio."""

from __future__ import annotations

import asyncio
import logging
import os
import resource
from collections.abc import Callable

from .handler import Limits
from .server import DeviceDirectoryCache, Gateway, GatewayConfig, serve

log = logging.getLogger("coact.monitoring.gateway")


def raise_fd_limit(wanted: int = 65536) -> int:
    """One descriptor per connection: lift the soft limit toward the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(max(soft, wanted), hard) if hard != resource.RLIM_INFINITY else max(soft, wanted)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when it is installed (its sockets, transports and scheduler are
    C, not Python: measured, it cuts the gateway's event-loop thread by about a third), else
    asyncio's. ``COACT_GATEWAY_LOOP=asyncio`` forces asyncio's."""
    if os.environ.get("COACT_GATEWAY_LOOP", "").lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run_gateway(
    host: str = "127.0.0.1",
    port: int = 9212,
    *,
    reuse_port: bool = False,
    idle_timeout: float = 600.0,
    stop_after: float | None = None,
    status_every: float = 0.0,
    alarms: bool = True,
    packets_per_second: float = 20.0,
) -> int:
    from coact.cli.django_setup import setup_django

    setup_django()
    from coact.monitoring import services

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    raise_fd_limit()
    if alarms:
        services.warm_up()
    config = GatewayConfig(
        host=host,
        port=port,
        reuse_port=reuse_port,
        idle_timeout=idle_timeout,
        alarms=alarms,
        limits=Limits(packets_per_second=packets_per_second),
    )
    gateway = Gateway(
        config,
        DeviceDirectoryCache(services.device_directory),
        services.after_batch if alarms else None,
    )
    factory = loop_factory()
    log.info("event loop: %s", "uvloop" if factory else "asyncio")
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(serve(gateway, stop_after=stop_after, status_every=status_every))
    return 0
