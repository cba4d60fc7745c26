"""Adapters to the outside world: one module per channel (mail, mailbox, sms) on one base (base.py)."""
