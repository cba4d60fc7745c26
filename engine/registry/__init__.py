"""The electronic registry (электронная регистратура): institutions, schedules, slots, tickets, districts.

Modules, each small and taking the caller's session:
- models: the tables; statuses are constants there.
- identity: who books without an account (OMS, SNILS, passport, DMS or no document) and the light account.
- schedules: weekly templates and exceptions -> slots generated ahead; changes that touch booked tickets.
- search: institution lists, the five-filter schedule search, "nearest available time", week grids.
- booking: starting the `ticket_booking` pathway, the code, cancelling and rating tickets.
- tickets: ticket lookups and access checks.
- visits: a reception day's tickets; the clinic marks each past one visited or missed.
- districts: street + house -> district, its doctor; coordinates for "nearest to an address".
- connectors: the service-task operators of the `ticket_booking` pathway.
- demo: the Khanty-Mansiysk institutions of the seed with generated departments, doctors and schedules.
"""
