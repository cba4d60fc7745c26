"""Information pages (HMAO «Прочие сведения», the seeds' "how to" pages): how to book, how to join a
consultation, contacts and the call-centre phone, the institution's own text. A manager writes them in
Markdown in Russian and English; every save is a new version with who and when (service.py); the text is
sanitized when shown (render.py)."""
