"""Closed-loop case state machine whose states and transitions are data, one YAML per case type.

Model: FixMyStreet's state table (management-modules.md §1.3) — every state belongs to one of
three groups, ``open`` (being worked on), ``closed`` (ended without a fix) or ``fixed`` (ended
with the problem fixed), and carries a FixMyStreet extended Open311 status for pushing updates.
A transition names the states it leaves, the state it enters (none = stays: an annotation such
as 催办), the roles allowed, the payload fields it needs, and flags:

* ``handling: true`` — performing it makes the actor one of the case's handlers (the app keeps
  the list of handler ids and passes it back in);
* ``sign_off: true`` — separation of duties: the actor must not be one of the handlers
  (management-modules.md §3 (e): "The 销号 approver must differ from the handler");
* ``reopen: true`` — the only kind of transition allowed out of a closed or fixed state.

:func:`check_transition` is pure: the app does storage, locking and audit. Every refusal has a
stable ``reason_code`` and a message saying what to do. :func:`load_case_types` validates the
files and reports every problem as ``file:line: path: message``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

STATE_GROUPS = ("open", "closed", "fixed")  # semantics are code: only `open` is non-terminal
FLAG_KEYS = ("handling", "sign_off", "reopen")
TYPE_KEYS = {
    "case_type",
    "zh",
    "en",
    "source",
    "opened_by",
    "initial_state",
    "states",
    "transitions",
}
STATE_KEYS = {"group", "fms_status", "zh", "en", "note"}
TRANSITION_KEYS = {"zh", "en", "from", "to", "roles", "requires", "note", *FLAG_KEYS}


class CaseTypeError(ValueError):
    """A case-type file is invalid; ``problems`` lists each one as ``file:line: path: what``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid case type definition:\n" + "\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class State:
    name: str
    group: str  # open | closed | fixed
    fms_status: str
    zh: str
    en: str

    @property
    def is_open(self) -> bool:
        return self.group == "open"


@dataclass(frozen=True)
class Transition:
    name: str
    from_states: frozenset[str]
    to_state: str | None  # None: the case stays where it is (an annotation such as 催办)
    roles: frozenset[str]
    requires: tuple[str, ...] = ()
    handling: bool = False
    sign_off: bool = False
    reopen: bool = False
    zh: str = ""
    en: str = ""

    def target(self, state: str) -> str:
        """The state after taking this transition from ``state``."""
        return state if self.to_state is None else self.to_state


@dataclass(frozen=True)
class CaseType:
    name: str
    zh: str
    en: str
    initial_state: str
    opened_by: frozenset[str]
    states: Mapping[str, State]
    transitions: Mapping[str, Transition]
    source_file: str = ""

    def available_transitions(self, state: str, role: str) -> tuple[Transition, ...]:
        """Transitions ``role`` may take from ``state``, in file order (fields and sign-off
        are checked later, by :func:`check_transition`, because they need the payload)."""
        return tuple(
            t for t in self.transitions.values() if state in t.from_states and role in t.roles
        )

    def group(self, state: str) -> str:
        return self.states[state].group

    def is_open(self, state: str) -> bool:
        return self.states[state].is_open

    def can_open(self, role: str) -> bool:
        """Whether ``role`` may create a case of this type (in ``initial_state``)."""
        return role in self.opened_by

    def open311_status(self, state: str) -> str:
        """GeoReport v2 status: ``open`` or ``closed`` (fixed counts as closed)."""
        return "open" if self.is_open(state) else "closed"


@dataclass(frozen=True)
class Decision:
    """Outcome of :func:`check_transition`. ``reason_code`` is ``ok`` when allowed."""

    allowed: bool
    to_state: str | None
    reason_code: str
    message: str
    marks_handler: bool = False  # the app should add the actor to the case's handlers


# ---------------------------------------------------------------- checking a transition


def check_transition(
    case_type: CaseType,
    state: str,
    transition: str,
    actor_role: str,
    actor_id: str | None,
    handler_ids: Iterable[str],
    payload: Mapping[str, Any] | None,
) -> Decision:
    """May ``actor_id`` acting as ``actor_role`` take ``transition`` from ``state``?

    Checks, in order: the transition and state exist, the state is one it leaves from, the
    role is allowed, the required payload fields are present and non-empty, and for sign-off
    transitions that the actor is identified and is not one of ``handler_ids``."""
    found = case_type.transitions.get(transition)
    if found is None:
        return _refuse(
            "unknown_transition",
            f"{case_type.name} has no transition {transition!r}; "
            f"known: {', '.join(case_type.transitions)}",
        )
    if state not in case_type.states:
        return _refuse("unknown_state", f"{case_type.name} has no state {state!r}")
    refusal = _check_state_and_role(case_type, found, state, actor_role)
    refusal = refusal or _check_fields(found, payload or {})
    refusal = refusal or _check_separation(found, actor_id, handler_ids)
    if refusal is not None:
        return refusal
    to_state = found.target(state)
    return Decision(True, to_state, "ok", f"{transition}: {state} -> {to_state}", found.handling)


def _refuse(code: str, message: str) -> Decision:
    return Decision(False, None, code, message)


def _check_state_and_role(
    case_type: CaseType, found: Transition, state: str, role: str
) -> Decision | None:
    if state not in found.from_states:
        return _refuse(
            "wrong_state",
            f"{found.name!r} cannot be taken from state {state!r}; "
            f"it is allowed from: {', '.join(sorted(found.from_states))}",
        )
    if role not in found.roles:
        return _refuse(
            "role_not_allowed",
            f"role {role!r} may not take {found.name!r} on a {case_type.name}; "
            f"allowed roles: {', '.join(sorted(found.roles))}",
        )
    return None


def _check_fields(found: Transition, payload: Mapping[str, Any]) -> Decision | None:
    missing = [name for name in found.requires if not _is_filled(payload.get(name))]
    if missing:
        return _refuse(
            "missing_fields", f"{found.name!r} needs non-empty field(s): {', '.join(missing)}"
        )
    return None


def _is_filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return bool(value)
    return True


def _check_separation(
    found: Transition, actor_id: str | None, handler_ids: Iterable[str]
) -> Decision | None:
    if not found.sign_off:
        return None
    if actor_id is None or not str(actor_id).strip():
        return _refuse(
            "actor_required", f"{found.name!r} is a sign-off: the acting person must be named"
        )
    if str(actor_id) in {str(h) for h in handler_ids}:
        return _refuse(
            "sign_off_by_handler",
            f"{found.name!r} is a sign-off and {actor_id!r} handled this case; "
            "separation of duties requires someone who did not handle it",
        )
    return None


# ---------------------------------------------------------------- loading and validation


@cache
def vocabulary() -> dict[str, Any]:
    """Roles, state groups, FixMyStreet statuses, urgencies and sources (vocabulary.yaml)."""
    text = resources.files("coact.data.cases").joinpath("vocabulary.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def default_types_folder() -> Traversable:
    return resources.files("coact.data.cases").joinpath("types")


def load_case_types(folder: str | Path | Traversable | None = None) -> dict[str, CaseType]:
    """Every ``*.yaml`` in ``folder`` (default: the packaged types), validated together.

    Raises :class:`CaseTypeError` listing every problem in every file."""
    root = default_types_folder() if folder is None else folder
    root = Path(root) if isinstance(root, str) else root
    entries = sorted((e for e in root.iterdir() if e.name.endswith(".yaml")), key=_name)
    types: dict[str, CaseType] = {}
    problems: list[str] = []
    for entry in entries:
        label = str(entry) if isinstance(entry, Path) else f"types/{entry.name}"
        try:
            loaded = parse_case_type(entry.read_text("utf-8"), label, entry.name[:-5])
        except CaseTypeError as error:
            problems.extend(error.problems)
            continue
        types[loaded.name] = loaded
    if problems:
        raise CaseTypeError(problems)
    if not types:
        raise CaseTypeError([f"{root}: no *.yaml case types found"])
    return types


def _name(entry: Path | Traversable) -> str:
    return entry.name


@cache
def default_case_types() -> dict[str, CaseType]:
    """The packaged case types (loaded once)."""
    return load_case_types()


def parse_case_type(
    text: str, source: str = "<string>", expected_name: str | None = None
) -> CaseType:
    """Parse and validate one case-type document; ``expected_name`` is the file's stem."""
    located = _Located(source)
    raw = located.load(text)
    if not isinstance(raw, dict):
        raise CaseTypeError([located.at((), "the document must be a mapping")])
    _Validator(raw, located, expected_name).run()
    if located.problems:
        raise CaseTypeError(located.problems)
    return _build(raw, source)


class _Located:
    """YAML loaded together with the line of every key, for ``file:line: path`` messages."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[tuple[str, ...], int] = {}
        self.problems: list[str] = []

    def load(self, text: str) -> Any:
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 0
            raise CaseTypeError([f"{self.source}:{line}: YAML syntax error: {error}"]) from None
        if node is None:
            return None
        self._index(node, ())
        return yaml.safe_load(text)

    def _index(self, node: yaml.Node, path: tuple[str, ...]) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in seen:
                    line = key_node.start_mark.line + 1
                    self.problems.append(
                        f"{self.source}:{line}: {_dotted((*path, key))}: "
                        "duplicate key (YAML would keep only the last one)"
                    )
                seen.add(key)
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                self._index(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._index(item, (*path, str(index)))

    def at(self, path: tuple[str, ...], message: str) -> str:
        probe = path
        while probe and probe not in self.lines:  # fall back to the nearest located parent
            probe = probe[:-1]
        line = self.lines.get(probe, 1)
        return f"{self.source}:{line}: {_dotted(path) or '<document>'}: {message}"

    def add(self, path: tuple[str, ...], message: str) -> None:
        self.problems.append(self.at(path, message))


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)


@dataclass
class _Validator:
    raw: dict[str, Any]
    located: _Located
    expected_name: str | None
    vocab: dict[str, Any] = field(default_factory=vocabulary)

    def run(self) -> None:
        self._check_header()
        states = self.raw.get("states")
        transitions = self.raw.get("transitions")
        if not isinstance(states, dict) or not states:
            self.located.add(("states",), "needs a non-empty mapping of states")
            return
        if not isinstance(transitions, dict) or not transitions:
            self.located.add(("transitions",), "needs a non-empty mapping of transitions")
            return
        for name, spec in states.items():
            self._check_state(str(name), spec)
        for name, spec in transitions.items():
            self._check_transition(str(name), spec, states)
        if not self.located.problems:
            self._check_graph(states, transitions)

    def _check_header(self) -> None:
        for key in self.raw:
            if key not in TYPE_KEYS:
                self.located.add((str(key),), f"unknown key; expected {sorted(TYPE_KEYS)}")
        for key in ("case_type", "zh", "en", "initial_state"):
            if not isinstance(self.raw.get(key), str) or not self.raw[key].strip():
                self.located.add((key,), "required text is missing")
        name = self.raw.get("case_type")
        if self.expected_name and isinstance(name, str) and name != self.expected_name:
            self.located.add(
                ("case_type",), f"{name!r} must match the file name {self.expected_name!r}"
            )
        self._check_roles(("opened_by",), self.raw.get("opened_by"))
        states = self.raw.get("states") or {}
        initial = self.raw.get("initial_state")
        if isinstance(initial, str) and isinstance(states, dict) and states:
            if initial not in states:
                self.located.add(("initial_state",), f"unknown state {initial!r}")
            elif isinstance(states[initial], dict) and states[initial].get("group") != "open":
                self.located.add(("initial_state",), f"{initial!r} must be an open state")

    def _check_roles(self, path: tuple[str, ...], roles: Any) -> None:
        if not isinstance(roles, list) or not roles:
            self.located.add(path, "needs a non-empty list of roles")
            return
        for index, role in enumerate(roles):
            if role not in self.vocab["roles"]:
                self.located.add(
                    (*path, str(index)),
                    f"unknown role {role!r}; known: {', '.join(self.vocab['roles'])}",
                )

    def _check_state(self, name: str, spec: Any) -> None:
        path = ("states", name)
        if not isinstance(spec, dict):
            self.located.add(path, "a state must be a mapping with group, fms_status, zh, en")
            return
        for key in spec:
            if key not in STATE_KEYS:
                self.located.add((*path, str(key)), f"unknown key; expected {sorted(STATE_KEYS)}")
        if spec.get("group") not in STATE_GROUPS:
            self.located.add((*path, "group"), f"group must be one of {', '.join(STATE_GROUPS)}")
        if spec.get("fms_status") not in self.vocab["fms_statuses"]:
            self.located.add(
                (*path, "fms_status"), f"unknown FixMyStreet status {spec.get('fms_status')!r}"
            )
        for key in ("zh", "en"):
            if not isinstance(spec.get(key), str) or not spec[key].strip():
                self.located.add((*path, key), "label is missing")

    def _check_transition(self, name: str, spec: Any, states: dict[str, Any]) -> None:
        path = ("transitions", name)
        if not isinstance(spec, dict):
            self.located.add(path, "a transition must be a mapping")
            return
        for key in spec:
            if key not in TRANSITION_KEYS:
                self.located.add(
                    (*path, str(key)), f"unknown key; expected {sorted(TRANSITION_KEYS)}"
                )
        self._check_roles((*path, "roles"), spec.get("roles"))
        self._check_endpoints(path, spec, states)
        requires = spec.get("requires", [])
        if not isinstance(requires, list) or not all(isinstance(f, str) and f for f in requires):
            self.located.add((*path, "requires"), "must be a list of field names")
        for flag in FLAG_KEYS:
            if flag in spec and not isinstance(spec[flag], bool):
                self.located.add((*path, flag), "must be true or false")

    def _check_endpoints(
        self, path: tuple[str, ...], spec: dict[str, Any], states: dict[str, Any]
    ) -> None:
        before = len(self.located.problems)
        sources = spec.get("from")
        if not isinstance(sources, list) or not sources:
            self.located.add((*path, "from"), "needs a non-empty list of states")
            sources = []
        for index, source in enumerate(sources):
            if source not in states:
                self.located.add((*path, "from", str(index)), f"unknown state {source!r}")
        target = spec.get("to")
        if target is not None and target not in states:
            self.located.add((*path, "to"), f"unknown state {target!r}")
        if len(self.located.problems) > before:
            return  # group rules need known states
        self._check_terminal_rules(path, spec, sources, states)

    def _check_terminal_rules(
        self,
        path: tuple[str, ...],
        spec: dict[str, Any],
        sources: list[str],
        states: dict[str, Any],
    ) -> None:
        group = {
            name: (s.get("group") if isinstance(s, dict) else None) for name, s in states.items()
        }
        terminal_sources = [s for s in sources if group[s] != "open"]
        if spec.get("reopen"):
            if len(terminal_sources) != len(sources):
                self.located.add(
                    (*path, "from"), "a reopen transition may leave only closed or fixed states"
                )
            if spec.get("to") is None or group[spec["to"]] != "open":
                self.located.add((*path, "to"), "a reopen transition must enter an open state")
            if "reason" not in (spec.get("requires") or []):
                self.located.add((*path, "requires"), "a reopen transition must require 'reason'")
        elif terminal_sources:
            self.located.add(
                (*path, "from"),
                f"leaves closed/fixed state(s) "
                f"{', '.join(terminal_sources)}: only a transition with "
                "`reopen: true` may do that",
            )

    def _check_graph(self, states: dict[str, Any], transitions: dict[str, Any]) -> None:
        edges: dict[str, set[str]] = {name: set() for name in states}
        for spec in transitions.values():
            for source in spec["from"]:
                edges[source].add(spec.get("to") or source)
        initial = self.raw["initial_state"]
        for name in sorted(set(states) - _reachable(edges, {initial})):
            self.located.add(("states", name), f"unreachable from initial state {initial!r}")
        terminal = {n for n, s in states.items() if s["group"] != "open"}
        if not terminal:
            self.located.add(("states",), "needs at least one closed or fixed state")
            return
        for name in sorted(n for n in states if n not in terminal):
            if not _reachable(edges, {name}) & terminal:
                self.located.add(
                    ("states", name),
                    "open state from which no closed or fixed "
                    "state can be reached (the case could never end)",
                )


def _reachable(edges: Mapping[str, set[str]], start: set[str]) -> set[str]:
    seen, frontier = set(start), list(start)
    while frontier:
        for successor in edges[frontier.pop()]:
            if successor not in seen:
                seen.add(successor)
                frontier.append(successor)
    return seen


def _build(raw: dict[str, Any], source: str) -> CaseType:
    states = {
        str(name): State(str(name), s["group"], s["fms_status"], s["zh"], s["en"])
        for name, s in raw["states"].items()
    }
    transitions = {
        str(name): Transition(
            name=str(name),
            from_states=frozenset(t["from"]),
            to_state=t.get("to"),
            roles=frozenset(t["roles"]),
            requires=tuple(t.get("requires") or ()),
            handling=bool(t.get("handling", False)),
            sign_off=bool(t.get("sign_off", False)),
            reopen=bool(t.get("reopen", False)),
            zh=str(t.get("zh", "")),
            en=str(t.get("en", "")),
        )
        for name, t in raw["transitions"].items()
    }
    return CaseType(
        name=raw["case_type"],
        zh=raw["zh"],
        en=raw["en"],
        initial_state=raw["initial_state"],
        opened_by=frozenset(raw["opened_by"]),
        states=states,
        transitions=transitions,
        source_file=source,
    )
