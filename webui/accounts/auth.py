"""Login, logout, registration, confirmation, activation, password reset and the second factor."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from engine import audit
from engine.accounts import second_factor, service, throttle, tokens, validation
from engine.accounts.consent import personal_data_consent
from engine.accounts.models import User
from engine.i18n import UserError
from webui.accounts.blueprint import auth_bp as bp
from webui.accounts.forms import (
    ActivationEmailForm,
    CodeForm,
    LoginForm,
    PasswordForm,
    RegistrationForm,
    ResetRequestForm,
)
from webui.db import db, writes_at_once
from webui.extensions import limiter
from webui.messages import user_message
from webui.security import client_ip

PENDING_2FA = "pending_2fa_user"
CODE_SENT_TO = "code_sent_to"  # the masked phone or email, for the code page


def _settings() -> Any:
    return current_app.extensions["carepath"].settings


def _login_limit() -> str:
    return _settings().login_rate_limit


def _journal_flood(limit: Any) -> None:
    """Flask-Limiter's flood guard (all login, code and reset posts of one address) refused a post."""
    user_id = session.get(PENDING_2FA) if request.endpoint == "auth.code" else None
    throttle.journal_refusal(db(), db().get(User, user_id) if user_id else None, request.form.get("email", ""),
                             ip=client_ip(), reason=throttle.ADDRESS)  # fmt: skip
    db().commit()


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("cabinet.home")


@bp.route("/login", methods=["GET", "POST"])
@writes_at_once
@limiter.limit(_login_limit, methods=["POST"], on_breach=_journal_flood)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("cabinet.home"))
    form = LoginForm()
    if form.validate_on_submit():
        named = service.find_by_email(db(), form.email.data or "")
        refusal = throttle.check(db(), named, form.email.data or "", ip=client_ip())
        if refusal is not None:
            db().commit()  # the refusal stays in the journal
            return render_template("auth/login.html", form=form, refusal=refusal), 429
        user = service.authenticate(db(), form.email.data, form.password.data, ip=client_ip())
        if user is None or not user.is_active:
            throttle.after_failure(db(), named, base_url=_settings().base_url)
            db().commit()  # the failed attempt stays in the journal
            # Under the password field (not a flash at the top), so the focus lands on the field to retype.
            form.password.errors = [_("Wrong email or password.")]
            return render_template("auth/login.html", form=form), 200
        if user.two_factor:
            sent_to = second_factor.start_login_code(db(), user, sms_gateway=bool(_settings().sms_gateway_url))
            db().commit()
            session[PENDING_2FA] = user.id
            session[CODE_SENT_TO] = sent_to
            session["next"] = _safe_next(request.args.get("next"))
            return redirect(url_for("auth.code"))
        return _finish_login(user, request.args.get("next"))
    return render_template("auth/login.html", form=form)


def _finish_login(user: User, next_url: str | None) -> Any:
    service.record_login(db(), user, ip=client_ip())
    db().commit()
    session.pop("lang", None)  # the person's own language setting takes over
    login_user(user)
    return redirect(_safe_next(next_url))


@bp.route("/login/code", methods=["GET", "POST"])
@writes_at_once
@limiter.limit(_login_limit, methods=["POST"], on_breach=_journal_flood)
def code() -> Any:
    user_id = session.get(PENDING_2FA)
    user = db().get(User, user_id) if user_id else None
    if user is None:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            service.verify_login_code(db(), user, form.code.data, ip=client_ip())
        except UserError as error:
            db().commit()  # the counted attempt must stick
            flash(user_message(error), "error")
            return render_template("auth/code.html", form=form, sent_to=session.get(CODE_SENT_TO))
        session.pop(PENDING_2FA, None)
        session.pop(CODE_SENT_TO, None)
        return _finish_login(user, session.pop("next", None))
    return render_template("auth/code.html", form=form, sent_to=session.get(CODE_SENT_TO))


@bp.route("/logout", methods=["POST"])
@writes_at_once
@login_required
def logout() -> Any:
    audit.record(db(), "logout", actor_id=current_user.id, ip=client_ip())
    db().commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
@writes_at_once
def register() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("cabinet.home"))
    form = RegistrationForm()
    consent = personal_data_consent(str(get_locale()))
    if request.method == "POST" and _all_checked(form):
        data = service.PersonData(
            last_name=form.last_name.data, first_name=form.first_name.data,
            patronymic=form.patronymic.data or "", email=form.email.data, birth_date=form.birth_date.data,
            phone=form.phone.data, locale=str(get_locale()),
        )
        try:
            service.register(
                db(), data, form.password.data, consent=consent if form.consent.data else None,
                ip=client_ip(), base_url=_settings().base_url,
            )
            db().commit()
        except UserError as error:
            db().rollback()
            flash(user_message(error), "error")
            return render_template("auth/register.html", form=form, consent=consent), 400
        flash(_("Almost done: we have sent you an email. Open the link in it to confirm your address."), "success")
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form, consent=consent), status


def _all_checked(form: RegistrationForm) -> bool:
    """The form's checks and the account rules (password, date of birth, names, phone) together, so a person
    sees every problem at once next to its field, not one per submit."""
    valid = form.validate_on_submit()
    email = form.email.data or ""
    rules = {
        "last_name": lambda: validation.clean_name(form.last_name.data or ""),
        "first_name": lambda: validation.clean_name(form.first_name.data or ""),
        "patronymic": lambda: validation.clean_name(form.patronymic.data or "", required=False),
        "birth_date": lambda: validation.check_birth_date(form.birth_date.data),
        "email": lambda: validation.normalize_email(email),
        "phone": lambda: validation.normalize_phone(form.phone.data or "", required=True),
        "password": lambda: validation.check_password(form.password.data or "", email=email.strip().lower()),
    }
    for name, rule in rules.items():
        field = form[name]
        if field.errors or not field.data:
            continue  # "required" or a format error already said it
        try:
            rule()
        except UserError as error:
            field.errors = [*field.errors, user_message(error)]
            valid = False
    if not form.consent.data:
        form.consent.errors = [*form.consent.errors,
                               _("Registration needs your consent to the processing of personal data.")]
        valid = False
    return valid


@bp.route("/confirm/<token>")
def confirm(token: str) -> Any:
    try:
        service.confirm_email(db(), token, ip=client_ip())
        db().commit()
    except UserError as error:
        return render_template("auth/link_problem.html", message=user_message(error)), 400
    flash(_("Your email is confirmed. Welcome to CarePath!"), "success")
    return redirect(url_for("cabinet.home") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/email/<token>")
def confirm_new_email(token: str) -> Any:
    try:
        service.confirm_email_change(db(), token, ip=client_ip())
        db().commit()
    except UserError as error:
        return render_template("auth/link_problem.html", message=user_message(error)), 400
    flash(_("Your new email address is confirmed."), "success")
    return redirect(url_for("cabinet.profile") if current_user.is_authenticated else url_for("auth.login"))


def _set_password_page(purpose: str, token: str, apply: Any, title: str, done: str) -> Any:
    try:
        tokens.peek(db(), purpose, token)
    except UserError as error:
        return render_template("auth/link_problem.html", message=user_message(error)), 400
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            apply(db(), token, form.password.data, ip=client_ip())
            db().commit()
        except UserError as error:
            db().rollback()
            flash(user_message(error), "error")
            return render_template("auth/set_password.html", form=form, title=title), 400
        flash(done, "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, title=title)


@bp.route("/activate/<token>", methods=["GET", "POST"])
@writes_at_once
def activate(token: str) -> Any:
    try:
        owner = db().get(User, tokens.peek(db(), tokens.ACTIVATE, token).user_id)
    except UserError as error:
        return render_template("auth/link_problem.html", message=user_message(error)), 400
    if owner is not None and owner.email is None:
        return _activate_with_email(token)
    return _set_password_page(tokens.ACTIVATE, token, service.activate, _("Activate your account"),
                              _("Your account is active. Log in with your new password."))


def _activate_with_email(token: str) -> Any:
    """An account made from a referral row with only a mobile phone: the password and the email (the login)."""
    title = _("Activate your account")
    form = ActivationEmailForm()
    if form.validate_on_submit():
        try:
            user = service.activate(db(), token, form.password.data, ip=client_ip(), email=form.email.data,
                                    base_url=_settings().base_url)
            db().commit()
        except UserError as error:
            db().rollback()
            flash(user_message(error), "error")
            return render_template("auth/set_password.html", form=form, title=title), 400
        flash(_("Your password is set. We have sent a link to %(email)s: open it to confirm the address. "
                "Log in with this email and your new password.", email=user.email), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, title=title)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@writes_at_once
def reset(token: str) -> Any:
    return _set_password_page(tokens.RESET_PASSWORD, token, service.reset_password, _("Choose a new password"),
                              _("Your password has been changed. Log in with the new one."))


@bp.route("/reset", methods=["GET", "POST"])
@writes_at_once
@limiter.limit(_login_limit, methods=["POST"], on_breach=_journal_flood)
def reset_request() -> Any:
    form = ResetRequestForm()
    if form.validate_on_submit():
        service.request_password_reset(db(), form.email.data, ip=client_ip(), base_url=_settings().base_url)
        db().commit()
        flash(_("If an account with this email exists, we have sent it a link to choose a new password."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/consent")
def consent_text() -> Any:
    return render_template("auth/consent.html", consent=personal_data_consent(str(get_locale())))
