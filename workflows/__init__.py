"""Background work: Prefect background tasks, the timer worker, scheduled flows, and the process that serves them.

Dependency direction: workflows -> engine, integrations, reports. Nothing here runs at import time.
"""
