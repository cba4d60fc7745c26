"""Paid services: prices per service (prices.py), the contract per institution signed with a one-time code
(contracts.py), and the payment of a consultation (service.py) with its pathway operators (connectors.py).
Providers (the clinic desk, YooKassa) are adapters in integrations/payments; the engine never calls them:
the web layer and the background work do, and hand their answers to service.py."""
