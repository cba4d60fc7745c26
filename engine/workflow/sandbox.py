"""Scripts and expressions from BPMN/DMN files run here, never through plain eval/exec.

A pathway can be uploaded by an analyst in the browser, so its code is untrusted: it is compiled with
RestrictedPython (no underscore names, guarded attribute/item access and writes) and sees only task data
plus a short list of helpers. `find_unsafe` is the deploy-time check: it names the first construct that
would let a script reach the server, so deploy can refuse the model with a readable reason.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import CodeType, ModuleType
from typing import Any

from RestrictedPython import (
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
    safe_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from engine import clock
from engine.i18n import N_
from engine.workflow import limits
from engine.workflow.spiffarena_helpers import HELPERS as SPIFFARENA_HELPERS

# Names a script may not even mention: each one is a way out of the sandbox or into the server.
FORBIDDEN_NAMES = frozenset(
    {
        "open", "eval", "exec", "compile", "__import__", "getattr", "setattr", "delattr", "globals",
        "locals", "vars", "input", "breakpoint", "help", "exit", "quit", "memoryview", "type",
        "object", "super", "classmethod", "staticmethod", "property", "dir",
    }
)  # fmt: skip


class SandboxError(Exception):
    """Code that the sandbox refuses; `message` is an N_ msgid, `params` fill it."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


def parse_duration(text: str, start: datetime | None = None) -> timedelta:
    """ISO 8601 duration ("PT1H", "P2D", "P1M") as a timedelta counted from `start` (default: now)."""
    # Imported here: the parser lives with SpiffWorkflow's timers, which this package wraps anyway.
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

    parsed = TimerEventDefinition.parse_iso_duration(text)
    return TimerEventDefinition.get_timedelta_from_start(parsed, start or clock.now())


def _today() -> date:
    return clock.now().date()


_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "|=": operator.ior,
    "&=": operator.iand, "^=": operator.ixor,
}  # fmt: skip


_GUARDED_INPLACE = {"+=": limits.guarded_add, "*=": limits.guarded_mul, "**=": limits.guarded_pow,
                    "<<=": limits.guarded_lshift, "%=": limits.guarded_mod}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    guarded = _GUARDED_INPLACE.get(op)
    if guarded is not None:
        if isinstance(target, list) and op == "+=":
            limits.check_size((len(target) + len(value)) * 8 if hasattr(value, "__len__") else 0)
        elif isinstance(target, list) and op == "*=" and isinstance(value, int):
            limits.check_size(len(target) * value * 8)
        else:
            return guarded(target, value)
    return _INPLACE[op](target, value)


_MISSING = object()


def _getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    value = safer_getattr(obj, name) if default is _MISSING else safer_getattr(obj, name, default)
    return limits.guard_attribute(obj, name, value)


class BudgetPolicy(RestrictingNodeTransformer):
    """RestrictedPython's checks, plus the budget of limits.py compiled in: a tick at the top of every
    while-loop body and function, around every lambda body, and guarded operators for `*`, `**`, `<<`,
    `+` and `%` (the ones that can build a huge value from a short expression). Names starting with an
    underscore cannot be written by a script, so the code cannot rebind these hooks."""

    _GUARDED_OPS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Add: "_add_", ast.Mod: "_mod_"}

    def visit_While(self, node: Any) -> Any:
        node = super().visit_While(node)
        node.body.insert(0, _tick_statement(node))
        return node

    def visit_FunctionDef(self, node: Any) -> Any:
        node = super().visit_FunctionDef(node)
        node.body.insert(0, _tick_statement(node))
        return node

    def visit_Lambda(self, node: Any) -> Any:
        node = super().visit_Lambda(node)
        node.body = _located(ast.Call(ast.Name("_tick_", ast.Load()), [node.body], []), node.body)
        return node

    def visit_BinOp(self, node: Any) -> Any:
        node = super().visit_BinOp(node)
        hook = self._GUARDED_OPS.get(type(node.op))
        if hook is None:
            return node
        return _located(ast.Call(ast.Name(hook, ast.Load()), [node.left, node.right], []), node)

    def visit_FormattedValue(self, node: Any) -> Any:
        node = super().visit_FormattedValue(node)
        if node.format_spec is not None and node.conversion == -1:  # f"{x:>{width}}": the width is checked
            node.value = _located(ast.Call(ast.Name("_format_", ast.Load()), [node.value, node.format_spec], []), node)
            node.format_spec = None
        return node


def _located(new: ast.expr, like: ast.AST) -> ast.expr:
    return ast.fix_missing_locations(ast.copy_location(new, like))


def _tick_statement(node: ast.AST) -> ast.stmt:
    call = ast.Call(ast.Name("_tick_", ast.Load()), [], [])
    return ast.fix_missing_locations(ast.copy_location(ast.Expr(call), node))


def _builtins(budgeted: bool = True) -> dict[str, Any]:
    """The names scripts see; `budgeted=False` gives the pre-limits set, which only bench/engine.py uses
    (limits switched off) to measure what the limits cost."""
    names = dict(safe_builtins)
    for unsafe in ("__build_class__", "id", "hash", "callable", "isinstance", "issubclass"):
        names.pop(unsafe, None)  # classes and identity are not something a pathway needs
    names.update(
        min=min, max=max, sum=sum, sorted=sorted, any=any, all=all, list=list, dict=dict, set=set,
        enumerate=enumerate, reversed=reversed, format=limits.guarded_format, map=map, filter=filter,
        range=limits.guarded_range, pow=limits.guarded_pow,
        _getattr_=_getattr, _getitem_=default_guarded_getitem, _getiter_=limits.guarded_iter,
        _tick_=limits.tick, _mul_=limits.guarded_mul, _pow_=limits.guarded_pow, _lshift_=limits.guarded_lshift,
        _add_=limits.guarded_add, _mod_=limits.guarded_mod, _format_=limits.guarded_format,
        _write_=full_write_guard, _iter_unpack_sequence_=guarded_iter_unpack_sequence,
        _unpack_sequence_=guarded_unpack_sequence, _inplacevar_=_inplacevar,
    )  # fmt: skip
    if not budgeted:
        names.update(format=format, range=range, pow=pow, _getattr_=safer_getattr, _getiter_=iter,
                     _inplacevar_=lambda op, target, value: _INPLACE[op](target, value))  # fmt: skip
    return names


HELPERS: dict[str, Any] = {
    "datetime": datetime,
    "date": date,
    "timedelta": timedelta,
    "parse_duration": parse_duration,
    "now": clock.now,
    "today": _today,
    **SPIFFARENA_HELPERS,  # get_current_user, get_env... (see spiffarena_helpers.py)
}
_BUILTINS, _UNBUDGETED_BUILTINS = _builtins(), _builtins(budgeted=False)


def compile_code(source: str, mode: str) -> CodeType:
    """Restricted bytecode, cached: the same pathway runs the same few strings thousands of times."""
    return _compile(source, mode, limits.LIMITS.enabled)


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str, budgeted: bool) -> CodeType:
    reason = find_unsafe(source, mode)
    if reason is not None:
        raise SandboxError(reason[0], **reason[1])
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, "<pathway>", policy=BudgetPolicy if budgeted else RestrictingNodeTransformer)
    if result.errors or result.code is None:
        raise SandboxError(N_("Code is not allowed: %(reason)s"), reason="; ".join(result.errors))
    return result.code


def find_unsafe(source: str, mode: str = "exec") -> tuple[str, dict[str, object]] | None:
    """The first reason this code may not run, as (N_ message, params), or None when it is safe."""
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError as exc:
        return N_("Syntax error on line %(line)s: %(reason)s"), {"line": exc.lineno, "reason": exc.msg}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            return N_("Imports are not allowed (line %(line)s)."), {"line": node.lineno}
        if isinstance(node, ast.ClassDef):
            return N_("Classes are not allowed (line %(line)s)."), {"line": node.lineno}
        name = _mentioned_name(node)
        if name is None:
            continue
        if name.startswith("_"):
            return (
                N_("Names starting with an underscore, like %(name)s, are not allowed (line %(line)s)."),
                {"name": name, "line": getattr(node, "lineno", 0)},
            )
        if name in FORBIDDEN_NAMES:
            return N_("%(name)s is not allowed (line %(line)s)."), {
                "name": name,
                "line": getattr(node, "lineno", 0),
            }
    return None


def _mentioned_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr if node.attr.startswith("_") else None  # obj.open() is a method, not a builtin
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name
    if isinstance(node, ast.keyword):
        return node.arg
    return None


def _scope(context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict[str, Any]:
    scope: dict[str, Any] = {"__builtins__": _BUILTINS if limits.LIMITS.enabled else _UNBUDGETED_BUILTINS}
    scope.update(HELPERS)
    if external:
        scope.update(external)
    scope.update(context)
    return scope


def evaluate(expression: str, context: Mapping[str, Any], external: Mapping[str, Any] | None = None) -> Any:
    code = compile_code(expression.strip(), "eval")
    with limits.running():
        return eval(code, _scope(context, external))  # noqa: S307 - restricted code


def execute(script: str, context: dict[str, Any], external: Mapping[str, Any] | None = None) -> None:
    """Run a script over task data in place: its variables become the task's data."""
    scope = _scope(context, external)
    code = compile_code(script, "exec")
    with limits.running():
        exec(code, scope)  # noqa: S102 - restricted code
    provided: dict[str, Any] = {**HELPERS, **(external or {})}
    kept = {}
    for key, value in scope.items():
        if key == "__builtins__" or _is_code(value):
            continue
        if key in provided and value is provided[key] and key not in context:
            continue  # a helper, not data
        if value is not context.get(key, _MISSING):
            limits.check_task_data(key, value)  # only what the script changed: the rest was checked before
        kept[key] = value
    context.clear()
    context.update(kept)


def _is_code(value: object) -> bool:
    return isinstance(value, ModuleType) or (callable(value) and not isinstance(value, type))

