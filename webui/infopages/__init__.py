"""Information pages (engine/infopages): shown to everyone (pages.py), edited by managers (manage.py);
the menu entries and `info_link()` for other pages' templates in shared.py."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from webui.infopages import manage, pages  # noqa: F401 - their routes join the blueprint
    from webui.infopages.blueprint import bp
    from webui.infopages.shared import template_helpers

    app.register_blueprint(bp)
    # Globals, not a context processor: macros imported with `{% from … import %}` (the join button's
    # "how to join" link) see the environment's globals but not the render context.
    app.jinja_env.globals.update(template_helpers())
