"""The serve process stops on SIGTERM (`carepath run`'s Ctrl-C, a service manager) without a traceback or
a coroutine left unawaited in its log."""

from __future__ import annotations

import signal

from tests.workflows.conftest import start_serve, wait_until


def test_sigterm_stops_the_serve_process_cleanly(prefect_harness, instance):
    from prefect.settings import PREFECT_API_URL

    process = start_serve(instance, PREFECT_API_URL.value(), scheduled=True)
    log = instance.instance_path / "serve.log"
    try:
        # The scheduled flows' runner is polling too: both parts are running when the signal comes.
        wait_until(lambda: b"get_scheduled_flow_runs" in log.read_bytes() or process.poll() is not None,
                   timeout=120, step=0.5)
        process.send_signal(signal.SIGTERM)
        code = process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    text = log.read_text()
    assert "never awaited" not in text
    assert "Traceback" not in text
    assert code == 0, text
    assert "StopTaskWorker" not in text
    assert "starting it again" not in text
