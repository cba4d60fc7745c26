"""Feedback from anyone (HMAO «Обратная связь»): a message with a topic and a contact, behind a
self-hosted proof-of-work captcha (ALTCHA, captcha.py: nothing leaves the clinic's server) and a rate
limit; a manager answers from a list, and the answer is mailed and kept (service.py)."""
