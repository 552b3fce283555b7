#!/usr/bin/env python3
"""Generates platform-core/src/cfn_schemas.txt from cfn-lint's bundled resource schemas.

Every CloudFormation resource type of us-east-1, one line each, sorted by
type, so that `platform_core::cfn_schema` finds a type by binary search and
parses only the lines a definition uses. A line is tab-separated:

    TYPE  N=NAME_PROPERTY  T=TAGS_PROPERTY:l|m  A=ATTR,ATTR  H=ACTION,ACTION  P=PROPS  D:DEF=PROPS ...

H lists the IAM actions its create, read, update and delete handlers call
(what CloudFormation's execution role needs for a type the platform's
own constructs do not synthesize).

PROPS is `;`-separated `FLAGS NAME : TYPE CONSTRAINTS`:
- FLAGS: `!` required, `^` create-only (a change replaces the resource);
- TYPE: `s` string, `i` integer, `n` number, `b` boolean, `o` any JSON
  object, `*` anything (a union or a schema the check does not model),
  `@DEF` an object described by definition DEF, `[T` a list of T, `{T` a
  map of T;
- CONSTRAINTS: `~e=A|B` enum, `~p=REGEX` pattern, `~l=MIN..MAX` string
  length, `~r=MIN..MAX` numeric range (either bound may be empty).
`%`, tab, newline, `;`, `~` and `|` inside values are percent-encoded.

Usage: scripts/gen-cfn-schemas.py [SCHEMAS_DIR]
Without SCHEMAS_DIR, the schemas of the cfn-lint installed in .venv are read
(the version pinned in tests/requirements.txt), as gen-cfn-facts.py does.
"""
import importlib.util
import json
import os
import sys

OUT = os.path.join(os.path.dirname(__file__), "..", "platform-core", "src", "cfn_schemas.txt")


def _facts():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("gen_cfn_facts", os.path.join(here, "gen-cfn-facts.py"))
    facts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(facts)
    return facts


# Where the registry schemas are, and their cfn-lint's version.
_FACTS = _facts()
schemas_dir = _FACTS.schemas_dir
cfn_lint_version = _FACTS.cfn_lint_version


def esc(text):
    text = str(text)
    for ch in "%\t\n\r;~|":
        text = text.replace(ch, "%{:02X}".format(ord(ch)))
    return text


def number(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


class Type:
    """One resource type's schema, flattened into definitions."""

    def __init__(self, schema):
        self.schema = schema
        self.defs = {}
        self.pending = []

    def ref(self, ref):
        name = ref.split("/")[-1]
        target = self.schema.get("definitions", {}).get(name)
        if target is None:
            return "*"
        return self.type_of(target, name)

    def type_of(self, prop, def_name):
        """The TYPE code of a property schema; objects become definitions."""
        if "$ref" in prop:
            return self.ref(prop["$ref"])
        kind = prop.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            kind = kinds[0] if len(kinds) == 1 else None
        if kind == "string":
            return "s"
        if kind == "integer":
            return "i"
        if kind == "number":
            return "n"
        if kind == "boolean":
            return "b"
        if kind == "array":
            items = prop.get("items")
            if not isinstance(items, dict):
                return "[*"
            return "[" + self.type_of(items, def_name)
        if kind == "object" or (kind is None and "properties" in prop):
            if "properties" in prop:
                if def_name not in self.defs:
                    self.defs[def_name] = None
                    self.defs[def_name] = self.props(prop.get("properties", {}), prop.get("required", []), set())
                return "@" + def_name
            extra = prop.get("additionalProperties")
            patterns = prop.get("patternProperties")
            if isinstance(patterns, dict) and len(patterns) == 1:
                return "{" + self.type_of(next(iter(patterns.values())), def_name + "Value")
            if isinstance(extra, dict):
                return "{" + self.type_of(extra, def_name + "Value")
            return "o"
        return "*"

    def constraints(self, prop):
        if "$ref" in prop:
            name = prop["$ref"].split("/")[-1]
            target = self.schema.get("definitions", {}).get(name, {})
            if target.get("type") in ("string", "integer", "number"):
                prop = {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
        out = ""
        if isinstance(prop.get("enum"), list) and all(isinstance(e, (str, int, float)) for e in prop["enum"]):
            out += "~e=" + "|".join(esc(e) for e in prop["enum"])
        if isinstance(prop.get("pattern"), str):
            out += "~p=" + esc(prop["pattern"])
        if "minLength" in prop or "maxLength" in prop:
            out += "~l={}..{}".format(number(prop.get("minLength", "")), number(prop.get("maxLength", "")))
        if "minimum" in prop or "maximum" in prop:
            out += "~r={}..{}".format(number(prop.get("minimum", "")), number(prop.get("maximum", "")))
        return out

    def props(self, props, required, create_only):
        entries = []
        for name in sorted(props):
            prop = props[name]
            flags = ("!" if name in required else "") + ("^" if name in create_only else "")
            code = self.type_of(prop, name)
            entries.append(f"{flags}{esc(name)}:{code}{self.constraints(prop)}")
        return ";".join(entries)


def line(type_name, schema):
    t = Type(schema)
    read_only = [p.split("/")[2:] for p in schema.get("readOnlyProperties", []) if p.startswith("/properties/")]
    read_only_top = {p[0] for p in read_only if len(p) == 1}
    create_only = {p.split("/")[2] for p in schema.get("createOnlyProperties", []) if p.startswith("/properties/")}
    props = {k: v for k, v in schema.get("properties", {}).items() if k not in read_only_top}
    top = t.props(props, schema.get("required", []), create_only)
    fields = [type_name]
    short = type_name.split("::")[-1]
    name_prop = next((n for n in (short + "Name", "Name") if props.get(n, {}).get("type") == "string"), None)
    if name_prop:
        fields.append("N=" + name_prop)
    tags = next((p for p in ("Tags", "HealthCheckTags") if p in props), None)
    if tags:
        style = "l" if t.type_of(props[tags], tags).startswith("[") else "m"
        fields.append(f"T={tags}:{style}")
    attrs = [".".join(p) for p in read_only if "*" not in p]
    if attrs:
        fields.append("A=" + ",".join(esc(a) for a in sorted(attrs)))
    handlers = schema.get("handlers", {})
    actions = sorted({a for op in ("create", "read", "update", "delete")
                      for a in handlers.get(op, {}).get("permissions", [])})
    if actions:
        fields.append("H=" + ",".join(esc(a) for a in actions))
    fields.append("P=" + top)
    for name in sorted(t.defs):
        fields.append(f"D:{esc(name)}={t.defs[name]}")
    return "\t".join(fields)


def main():
    schemas = schemas_dir()
    version = cfn_lint_version(schemas)
    schema_date = json.load(open(os.path.join(schemas, "version.json"))).get("schema_date", "unknown")
    providers = json.load(open(os.path.join(schemas, "providers", "us-east-1.json")))
    lines = []
    for type_name in sorted(providers):
        path = os.path.join(schemas, "resources", providers[type_name] + ".json")
        if not os.path.exists(path):
            continue
        lines.append(line(type_name, json.load(open(path))))
    header = [
        f"# CloudFormation resource schemas, one type a line. GENERATED by scripts/gen-cfn-schemas.py: do not edit.",
        f"# Source: the us-east-1 registry schemas bundled with PyPI `cfn-lint` {version} (schema date {schema_date}).",
    ]
    body = "\n".join(header + lines) + "\n"
    open(OUT, "w").write(body)
    print(f"wrote {len(lines)} resource types, {len(body)} bytes, to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
