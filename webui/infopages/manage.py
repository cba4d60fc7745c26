"""Managers write the pages: a list, a new page, an edit that makes a new version, and the history."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine import roles
from engine.accounts.models import User
from engine.i18n import UserError
from engine.infopages import service
from webui.db import db
from webui.infopages.blueprint import bp
from webui.messages import user_message
from webui.security import client_ip, roles_required

EDITORS = (roles.MANAGER, roles.ADMIN)


def _menu_fields() -> tuple[bool, int]:
    position = request.form.get("position", "0").strip()
    return request.form.get("in_menu") == "on", int(position) if position.lstrip("-").isdigit() and len(position) < 6 else 0


@bp.route("/manage")
@roles_required(*EDITORS)
def manage_list() -> Any:
    return render_template("infopages/manage_list.html", pages=service.all_pages(db()))


@bp.route("/manage/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create() -> Any:
    values: dict[str, Any] = dict(request.form) if request.method == "POST" else {"in_menu": "on"}
    if request.method == "POST":
        in_menu, position = _menu_fields()
        try:
            service.create(db(), request.form.get("slug", ""), request.form, in_menu=in_menu, position=position,
                           actor_id=current_user.id, ip=client_ip())
        except UserError as error:
            db().rollback()
            return render_template("infopages/edit.html", values=values, error=user_message(error), new=True), 400
        db().commit()
        flash(_("The page is published."), "success")
        return redirect(url_for("infopages.show", slug=request.form["slug"].strip().lower()))
    return render_template("infopages/edit.html", values=values, error="", new=True)


@bp.route("/manage/<slug>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(slug: str) -> Any:
    page, version = service.by_slug(db(), slug)
    if request.method == "POST":
        in_menu, position = _menu_fields()
        try:
            saved = service.save(db(), slug, request.form, in_menu=in_menu, position=position,
                                 actor_id=current_user.id, ip=client_ip())
        except UserError as error:
            db().rollback()
            return render_template("infopages/edit.html", values=dict(request.form, slug=slug), error=user_message(error),
                                   new=False), 400
        db().commit()
        flash(_("Version %(number)s is published.", number=saved.number) if saved else _("Nothing changed."),
              "success" if saved else "info")
        return redirect(url_for("infopages.show", slug=slug))
    values = {name: getattr(version, name) for name in service.FIELDS}
    values.update(slug=slug, in_menu="on" if page.in_menu else "", position=page.position)
    return render_template("infopages/edit.html", values=values, error="", new=False)


@bp.route("/manage/<slug>/history")
@roles_required(*EDITORS)
def history(slug: str) -> Any:
    changes = service.history(db(), slug)
    ids = {c.version.changed_by for c in changes}
    names = {u.id: u.full_name for u in db().scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return render_template("infopages/history.html", slug=slug, changes=changes, names=names,
                           labels=service.FIELD_LABELS)
