"""Work groups: the admin names the people of BPMN lanes that are not roles (SpiffArena's group lanes,
such as "Finance Team"); a task in such a lane goes to the group's members (engine.accounts.groups)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from engine import audit, roles
from engine.accounts import groups
from engine.i18n import UserError
from webui.admin.blueprint import bp
from webui.db import db
from webui.messages import user_message
from webui.security import client_ip, roles_required


class GroupForm(FlaskForm):
    pass


@bp.route("/groups")
@roles_required(roles.ADMIN)
def work_groups() -> Any:
    return render_template("admin/groups.html", groups=groups.all_groups(db()), form=GroupForm(),
                           group=request.args.get("group", ""))


@bp.route("/groups/add", methods=["POST"])
@roles_required(roles.ADMIN)
def add_group_member() -> Any:
    GroupForm().validate_on_submit() or abort(400)
    session = db()
    name = request.form.get("group", "")
    try:
        user = groups.add_member(session, name, request.form.get("email", ""))
        audit.record(session, "group_member_added", actor_id=current_user.id, ip=client_ip(), object_type="group",
                     object_id=groups.clean_name(name)[:64], user=user.id)
        session.commit()
    except UserError as exc:
        session.rollback()
        flash(user_message(exc), "error")
        return redirect(url_for("admin.work_groups", group=name))
    flash(_("%(email)s is now in %(group)s.", email=user.email, group=groups.clean_name(name)), "success")
    return redirect(url_for("admin.work_groups"))


@bp.route("/groups/remove", methods=["POST"])
@roles_required(roles.ADMIN)
def remove_group_member() -> Any:
    GroupForm().validate_on_submit() or abort(400)
    session = db()
    name = request.form.get("group", "")
    user_id = request.form.get("user_id", type=int) or abort(400)
    groups.remove_member(session, name, user_id)
    audit.record(session, "group_member_removed", actor_id=current_user.id, ip=client_ip(), object_type="group",
                 object_id=name[:64], user=user_id)
    session.commit()
    flash(_("Removed from %(group)s.", group=name), "success")
    return redirect(url_for("admin.work_groups"))
