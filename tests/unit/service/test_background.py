"""``BackgroundLoop``: calls at start, again when woken (not only after the interval), and stops
while a long interval is pending."""

from __future__ import annotations

import threading

from deepscreen.service.background import BackgroundLoop


def test_the_body_runs_at_start_and_again_when_woken() -> None:
    calls = threading.Semaphore(0)
    loop = BackgroundLoop(calls.release, every_s=3600, name="test-loop")
    loop.start()
    try:
        assert calls.acquire(timeout=30), "no call at start"
        loop.wake()
        assert calls.acquire(timeout=30), "wake() did not bring the next call forward"
        assert loop.running
    finally:
        loop.stop()
    assert not loop.running
    assert loop.stopping


def test_start_twice_runs_one_thread() -> None:
    started = threading.Event()
    names: list[str] = []

    def body() -> None:
        names.append(threading.current_thread().name)
        started.set()

    loop = BackgroundLoop(body, every_s=3600, name="test-once")
    loop.start()
    loop.start()
    assert started.wait(30)
    loop.stop()
    assert names == ["test-once"]
