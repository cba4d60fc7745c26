"""The patient card (HMAO «Карта пациента», polyclinika.ru «История болезни»): everything CarePath holds
about one patient on one page, for the patient and their care team only.

team.py decides who is on the care team; entries.py gathers the card's entries from the areas' own
tables (consultations, registry tickets, documents, conclusions, monitoring, rehab) and filters them.
"""
