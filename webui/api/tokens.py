"""/cabinet/tokens: a person's API tokens (for the mobile app). A new token is shown once, on the
response to the form that created it; only its hash is kept."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from engine.apitokens import service
from engine.i18n import UserError
from webui.api.blueprint import tokens_bp as bp
from webui.db import db
from webui.messages import user_message
from webui.security import client_ip, confirmed_required


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=service.NAME_LENGTH)],
                       description=_l("For example: my phone"))


@bp.route("/", methods=["GET", "POST"])
@confirmed_required
def tokens_page() -> Any:
    form = TokenForm()
    session = db()
    plain = None
    status = 200
    if form.validate_on_submit():
        try:
            _row, plain = service.issue(session, current_user, form.name.data or "", ip=client_ip())
            session.commit()
            form.name.data = ""
        except UserError as error:
            session.rollback()
            flash(user_message(error), "error")
            status = 400
    elif form.is_submitted():
        status = 400
    return render_template("tasks/tokens.html", form=form, plain=plain,
                           tokens=service.list_tokens(session, current_user)), status


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@confirmed_required
def revoke(token_id: int) -> Any:
    FlaskForm().validate_on_submit() or abort(400)
    session = db()
    row = service.revoke(session, current_user, token_id, ip=client_ip())
    session.commit()
    flash(_("The token “%(name)s” no longer works.", name=row.name), "success")
    return redirect(url_for("api_tokens.tokens_page"))
