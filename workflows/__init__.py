"""Prefect flows (outbox delivery, timer tick, ...) and the process that serves their deployments.

Dependency direction: workflows -> engine, integrations, reports. Nothing here runs at import time.
"""
