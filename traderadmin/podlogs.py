"""The services' logs through the API server: the last lines of each, or all of them followed at once.

Following several pods interleaves their lines as they come, each prefixed with
its service, one reader thread per pod feeding one queue (the API's log stream
is one HTTP response per container). An error of one stream (its pod went away)
ends that stream with a line saying so; the others go on.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Callable, Iterator

from traderadmin.kubeapi import ClusterApi
from traderadmin.kubeerrors import KubeError

from . import deploy


@dataclass(frozen=True)
class Source:
    service: str
    pod: str


def sources(kube: ClusterApi, namespace: str, services: list[str]) -> list[Source]:
    """Every live pod of `services`, in their order."""
    out = []
    for service in services:
        out += [Source(service, p.name) for p in deploy.service_pods(kube, namespace, service)]
    return out


def last_lines(kube: ClusterApi, namespace: str, services: list[str], tail: int, previous: bool = False,
               write: Callable[[str], None] = print) -> int:
    """Print each pod's last `tail` lines under a header; return how many pods were read."""
    found = sources(kube, namespace, services)
    for src in found:
        write(f"==> {src.service} ({src.pod})")
        text = kube.logs(namespace, src.pod, src.service, tail=tail, previous=previous)
        write(text.rstrip("\n"))
    return len(found)


def follow(kube: ClusterApi, namespace: str, services: list[str], tail: int, since_seconds: int | None = None,
           previous: bool = False) -> Iterator[str]:
    """Lines of every pod of `services` as they come, each prefixed `service | ` when there are several."""
    found = sources(kube, namespace, services)
    if not found:
        return
    width = max(len(s.service) for s in found)
    prefix = len({s.service for s in found}) > 1 or len(found) > 1
    lines: queue.Queue[str | None] = queue.Queue()

    def read(src: Source) -> None:
        label = f"{src.service:<{width}} | " if prefix else ""
        try:
            for line in kube.stream_logs(namespace, src.pod, src.service, tail, since_seconds, previous):
                lines.put(label + line.rstrip("\n"))
        except KubeError as e:
            lines.put(f"{label}(log stream of {src.pod} ended: {e})")
        finally:
            lines.put(None)

    for src in found:
        threading.Thread(target=read, args=(src,), name=f"log-{src.pod}", daemon=True).start()
    open_streams = len(found)
    while open_streams:
        line = lines.get()
        if line is None:
            open_streams -= 1
            continue
        yield line
