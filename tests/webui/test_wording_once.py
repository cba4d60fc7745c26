"""Words said once: the signer's organization is not repeated after an identical name."""

from __future__ import annotations

from types import SimpleNamespace

from flask import render_template_string


def _verdict(app, **signer):
    v = SimpleNamespace(state="intact", title="", signed_at=None, certificate_serial="", **signer)
    with app.test_request_context("/"):
        return render_template_string('{% from "verify/_verdict.html" import show %}{{ show(v) }}', v=v)


def test_the_signer_is_named_once_when_the_organization_is_the_same_name(app):
    assert "CarePath (CarePath)" not in _verdict(app, signer_name="CarePath", signer_organization="CarePath")
    assert "<dd>CarePath</dd>" in _verdict(app, signer_name="CarePath", signer_organization="CarePath")
    shown = _verdict(app, signer_name="Смирнов Алексей", signer_organization="CarePath")
    assert "Смирнов Алексей (CarePath)" in shown
