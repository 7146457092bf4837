"""gunicorn's threaded worker, taking connections only while it has a thread free.

The stock ``gthread`` worker accepts every connection it can, whatever its threads are
doing, and keeps it for good (keep-alive). When many connections open at once (nginx
under a burst, a load test), whichever worker wakes first takes most of them: measured
here at 64 connections on three workers, 53 / 8 / 4, so one process (one core, behind
its GIL) served most of the requests and its queue made the slow tail while the other
two idled (gunicorn issues #908, #2191, #3433).

``BalancedThreadWorker`` changes two things and nothing else:

* while as many requests are running or queued as it has threads, it stops
  listening, so the next
  connection waits in the kernel's accept queue for whichever worker has a thread
  free — one queue for all workers, first come first served;
* when a response is written while more requests are running or queued here than it
  has threads, or while connections wait in that shared queue, the connection is
  closed after the response (``Connection: close``): the client's next request joins
  the queue behind them instead of overtaking them on a kept-alive connection.

Idle keep-alive connections are kept as before (``keepalive``); a worker that is not
overloaded behaves exactly like ``gthread``.
"""

from __future__ import annotations

import selectors
import socket
import struct
from functools import partial
from typing import Any

from gunicorn.workers.gthread import ThreadWorker  # type: ignore[import-untyped]

# struct tcp_info: eight one-byte fields, then u32 rto, ato, snd_mss, rcv_mss, unacked.
_TCP_INFO_LEN = 104
_UNACKED_AT = 8 + 4 * 4


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]
    _listening = True
    _in_flight = 0  # requests handed to the thread pool and not finished

    # gthread closes a kept-alive connection after its response once
    # ``len(self._keep) >= self.max_keepalived``; 0 while overloaded closes it always.
    @property
    def max_keepalived(self) -> int:
        if self._in_flight > self.cfg.threads or self._others_waiting():
            return 0
        return self._max_keepalived

    @max_keepalived.setter
    def max_keepalived(self, value: int) -> None:
        self._max_keepalived = value

    def _others_waiting(self) -> bool:
        """Connections wait in a listener's accept queue (Linux: ``tcpi_unacked`` of a
        listening socket's TCP_INFO is its queue's length)."""
        for sock in self.sockets:
            try:
                info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_LEN)
            except (OSError, AttributeError):  # not TCP (a unix socket), not Linux
                return False
            if struct.unpack_from("I", info, _UNACKED_AT)[0] > 0:
                return True
        return False

    def enqueue_req(self, conn: Any) -> None:
        with self._lock:
            self._in_flight += 1
        super().enqueue_req(conn)
        if self._in_flight >= self.cfg.threads:
            self._set_listening(False)

    def finish_request(self, fs: Any) -> None:
        super().finish_request(fs)
        with self._lock:
            self._in_flight -= 1
        if self._in_flight < self.cfg.threads:
            self._set_listening(True)

    def _set_listening(self, on: bool) -> None:
        with self._lock:
            if on == self._listening or not self.alive:
                return
            for sock in self.sockets:
                if on:
                    acceptor = partial(self.accept, sock.getsockname())
                    self.poller.register(sock, selectors.EVENT_READ, acceptor)
                else:
                    self.poller.unregister(sock)
            self._listening = on
