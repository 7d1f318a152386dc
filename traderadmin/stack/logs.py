"""The services' logs: the last lines of each pod, or every chosen pod followed at once.

Following several pods interleaves their lines as they arrive, each prefixed with its
service (and its pod when a service has several), from one reader thread per pod into
one queue: the API serves each container's log as its own long HTTP response. A stream
that fails (its pod went away) ends with a line saying so, and the others go on.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Callable, Iterator

from traderadmin.errors import ToolkitError
from traderadmin.kube.protocol import ClusterApi
from traderadmin.stack.status import service_pods


@dataclass(frozen=True)
class Source:
    service: str
    pod: str


def sources(kube: ClusterApi, namespace: str, services: list[str]) -> list[Source]:
    """Every live pod of `services`, in their order."""
    return [Source(service, p.name) for service in services
            for p in service_pods(kube, namespace, service)]


def last_lines(kube: ClusterApi, namespace: str, services: list[str], tail: int, since_seconds: int | None = None,
               previous: bool = False, write: Callable[[str], None] = print) -> int:
    """Write each pod's last `tail` lines (newer than `since_seconds`) under a header; return how many pods."""
    found = sources(kube, namespace, services)
    for src in found:
        write(f"==> {src.service} ({src.pod})")
        text = kube.logs(namespace, src.pod, src.service, tail=tail, previous=previous, since_seconds=since_seconds)
        if text:
            write(text.rstrip("\n"))
    return len(found)


def labels(found: list[Source]) -> dict[Source, str]:
    """`service | ` for each source (with the pod when a service has several), aligned; none for one source."""
    if len(found) <= 1:
        return {src: "" for src in found}
    per_service = {s.service: sum(1 for o in found if o.service == s.service) for s in found}
    names = {src: src.service if per_service[src.service] == 1 else f"{src.service}/{src.pod}" for src in found}
    width = max(len(n) for n in names.values())
    return {src: f"{names[src]:<{width}} | " for src in found}


def follow(kube: ClusterApi, namespace: str, services: list[str], tail: int, since_seconds: int | None = None,
           previous: bool = False, found: list[Source] | None = None) -> Iterator[str]:
    """Every line of every pod of `services` as it comes, prefixed as `labels` says."""
    found = sources(kube, namespace, services) if found is None else found
    prefix = labels(found)
    lines: queue.Queue[str | None] = queue.Queue()

    def read(src: Source) -> None:
        try:
            for line in kube.stream_logs(namespace, src.pod, src.service, tail, since_seconds, previous):
                lines.put(prefix[src] + line.rstrip("\n"))
        except ToolkitError as e:
            lines.put(f"{prefix[src]}(the log stream of {src.pod} ended: {e})")
        finally:
            lines.put(None)

    for src in found:
        threading.Thread(target=read, args=(src,), name=f"log-{src.pod}", daemon=True).start()
    open_streams = len(found)
    while open_streams:
        line = lines.get()
        if line is None:
            open_streams -= 1
        else:
            yield line
