"""PDF documents rendered with reportlab (tickets, conclusions, ...), with a Cyrillic font shipped here."""
