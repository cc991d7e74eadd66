#!/usr/bin/env python3
"""validate-cdx.py FILE [--spec 1.2..1.7] [--format json|xml] [--strict] [--max-errors N]

Validate a CycloneDX SBOM (JSON or XML) against the official CycloneDX schemas with an
independent third-party implementation, in two passes:

 1. cyclonedx-python-lib (OWASP CycloneDX Python library):
      JSON: JsonValidator / JsonStrictValidator(SchemaVersion) = jsonschema Draft 7 with the
            spdx.schema.json / jsf-0.82.schema.json / cryptography-defs sub-schemas registered
            locally; format checks ON (iri-reference, date-time, email, ...).
      XML:  XmlValidator(SchemaVersion) = lxml/libxml2 XMLSchema with the official bom-1.x.xsd
            (only the spdx.xsd import location is redirected to the bundled copy).
 2. JSON only, "official": the UNMODIFIED upstream bom-1.x.schema.json (+ sub-schemas) from
    CycloneDX/specification, stored in cyclonedx-schema/ beside this script (or $CDX_SCHEMA_DIR).
    Needed because cyclonedx-python-lib bundles relaxed copies: no `$schema` value enum in
    1.4/1.5, `version` not required in 1.2-1.4, `"pattern": "^(.*)$"` dropped in 1.2.
    If the directory is absent, 1.4-1.7 fall back to re-adding those constraints in memory
    (verified equal to upstream); 1.2/1.3 then get the library verdict only (a notice says so).

--strict: for 1.2/1.3 use the upstream *-strict schemas (additionalProperties:false); 1.4+ are
always strict upstream. --spec: expected version; the document's own specVersion / XML
namespace must match it. Exit: 0 valid, 1 invalid (errors printed), 2 usage/setup error.
"""
import argparse
import json
import os
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conformance_env import ensure as _ensure_env  # noqa: E402


_ensure_env(["cyclonedx", "jsonschema", "referencing", "lxml"])

from importlib.metadata import version as _dv  # noqa: E402

from cyclonedx.schema import SchemaVersion  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SPECS = {}
for _v in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"):
    _sv = getattr(SchemaVersion, "V" + _v.replace(".", "_"), None)
    if _sv is not None:
        SPECS[_v] = _sv
JSON_SPECS = [v for v in SPECS if v >= "1.2"]


def _jpath(path):
    out = "$"
    for p in path:
        out += "[%d]" % p if isinstance(p, int) else "." + str(p)
    return out


def _fmt_json_error(e):
    lines = ["%s: %s" % (_jpath(e.absolute_path), e.message)]
    # anyOf/oneOf: show why each alternative failed
    for sub in sorted(e.context or [], key=lambda s: [str(x) for x in s.absolute_path]):
        lines.append("    - %s: %s" % (_jpath(sub.absolute_path), sub.message))
    return "\n".join(lines)


def _schema_dir():
    for d in (os.environ.get("CDX_SCHEMA_DIR"), os.path.join(HERE, "cyclonedx-schema")):
        if d and os.path.isfile(os.path.join(d, "bom-1.6.schema.json")):
            return os.path.normpath(d)
    return None


def _registry(files):
    """files: {uri-name: path}; registered under http://cyclonedx.org/schema/<uri-name>."""
    from referencing import Registry
    from referencing.jsonschema import DRAFT7
    res = []
    for name, path in files.items():
        if path and os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                res.append(("http://cyclonedx.org/schema/" + name, DRAFT7.create_resource(json.load(f))))
    return Registry().with_resources(res)


def official_validator(spec, strict):
    """Return (validator, description) for the upstream schema, or (None, notice)."""
    from jsonschema.validators import Draft7Validator
    d = _schema_dir()
    if d:
        name = "bom-%s%s.schema.json" % (spec, "-strict" if strict and spec in ("1.2", "1.3") else "")
        with open(os.path.join(d, name), encoding="utf-8") as f:
            schema = json.load(f)
        reg = _registry({n: os.path.join(d, n) for n in
                         ("spdx.schema.json", "jsf-0.82.schema.json", "cryptography-defs.schema.json")})
        return (Draft7Validator(schema, registry=reg, format_checker=Draft7Validator.FORMAT_CHECKER),
                "upstream %s (%s)" % (name, os.path.relpath(d)))
    if spec < "1.4":
        return None, ("NOTICE: upstream schema dir not found; CycloneDX %s gets the "
                      "cyclonedx-python-lib verdict only" % spec)
    # fallback: lib's schema + the two upstream constraints it removed (verified by diff against
    # CycloneDX/specification e02a34a for 1.4-1.7; $ref names differ only)
    from cyclonedx.schema import _res
    with open(_res.BOM_JSON[SPECS[spec]], encoding="utf-8") as f:
        schema = json.load(f)
    if spec in ("1.4", "1.5"):
        schema.setdefault("properties", {}).setdefault("$schema", {"type": "string"})["enum"] = [
            "http://cyclonedx.org/schema/bom-%s.schema.json" % spec]
    if spec == "1.4" and "version" not in schema.get("required", []):
        schema.setdefault("required", []).append("version")
    reg = _registry({"spdx.SNAPSHOT.schema.json": _res.SPDX_JSON,
                     "jsf-0.82.SNAPSHOT.schema.json": _res.JSF,
                     "cryptography-defs.SNAPSHOT.schema.json": getattr(_res, "CRYPTOGRAPHY_DEFS", None)})
    return (Draft7Validator(schema, registry=reg, format_checker=Draft7Validator.FORMAT_CHECKER),
            "lib schema + restored upstream constraints (upstream dir not found)")


def detect(text, fmt):
    stripped = text.lstrip("\ufeff \t\r\n")
    if fmt is None:
        fmt = "xml" if stripped.startswith("<") else "json"
    declared = None
    if fmt == "json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError("not JSON: %s" % e)
        if not isinstance(doc, dict):
            raise ValueError("top-level JSON value is not an object")
        declared = doc.get("specVersion")
    else:
        from lxml import etree
        try:
            root = etree.fromstring(text.encode("utf-8"),
                                    parser=etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as e:
            raise ValueError("not well-formed XML: %s" % e)
        ns = etree.QName(root).namespace or ""
        prefix = "http://cyclonedx.org/schema/bom/"
        if ns.startswith(prefix):
            declared = ns[len(prefix):]
    return fmt, declared


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--spec", choices=sorted(SPECS), help="expected spec version "
                    "(default: the document's specVersion / XML namespace)")
    ap.add_argument("--format", choices=["json", "xml"], help="default: sniffed from content")
    ap.add_argument("--strict", action="store_true", help="1.2/1.3: use the *-strict schemas")
    ap.add_argument("--max-errors", type=int, default=50)
    a = ap.parse_args()

    try:
        with open(a.file, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        print("validate-cdx: cannot read %s: %s" % (a.file, e), file=sys.stderr)
        return 2

    import lxml.etree
    from jsonschema.validators import Draft7Validator
    try:
        fmt, declared = detect(text, a.format)
    except ValueError as e:
        print("validate-cdx: INVALID: %s" % e, file=sys.stderr)
        return 1
    spec = a.spec or declared
    tool = "cyclonedx-python-lib %s" % _dv("cyclonedx-python-lib")
    if fmt == "json":
        tool += " (%s) + jsonschema %s" % ("JsonStrictValidator" if a.strict else "JsonValidator",
                                           _dv("jsonschema"))
    else:
        tool += " (XmlValidator) + lxml %s / libxml2 %s" % (
            _dv("lxml"), ".".join(map(str, lxml.etree.LIBXML_VERSION)))
    print("validate-cdx: judged by %s" % tool)
    print("validate-cdx: file=%s format=%s declared-spec=%s checking-against=CycloneDX %s"
          % (a.file, fmt, declared, spec))
    if fmt == "json":
        missing = [f for f in ("iri-reference", "date-time", "idn-email")
                   if f not in Draft7Validator.FORMAT_CHECKER.checkers]
        if missing:
            print("validate-cdx: WARNING: format checkers not installed (NOT checked): %s"
                  % ", ".join(missing))

    supported = JSON_SPECS if fmt == "json" else list(SPECS)
    if spec not in supported:
        print("validate-cdx: INVALID: unsupported/absent spec version %r for %s (supported: %s)"
              % (spec, fmt.upper(), ", ".join(supported)), file=sys.stderr)
        return 1
    problems = []
    if a.spec and declared != a.spec:
        problems.append("[validate-cdx] document declares spec %r but --spec %s was requested"
                        % (declared, a.spec))

    if fmt == "json":
        from cyclonedx.validation.json import JsonStrictValidator, JsonValidator
        cls = JsonStrictValidator if a.strict else JsonValidator
        seen = set()
        for ve in (cls(SPECS[spec]).validate_str(text, all_errors=True) or []):
            e = ve.data
            seen.add((tuple(e.absolute_path), e.message))
            problems.append("[cyclonedx-python-lib] " + _fmt_json_error(e))
        validator, desc = official_validator(spec, a.strict)
        if validator is None:
            print("validate-cdx: " + desc)
        else:
            print("validate-cdx: official pass: %s" % desc)
            for e in validator.iter_errors(json.loads(text)):
                if (tuple(e.absolute_path), e.message) not in seen:
                    seen.add((tuple(e.absolute_path), e.message))
                    problems.append("[official-schema] " + _fmt_json_error(e))
    else:
        from cyclonedx.validation.xml import XmlValidator
        for e in (XmlValidator(SPECS[spec]).validate_str(text, all_errors=True) or []):
            d = e.data
            problems.append("[cyclonedx-python-lib/libxml2] line %s: %s" % (d.line, d.message))

    if problems:
        print("validate-cdx: INVALID (%d error%s):" % (len(problems), "" if len(problems) == 1 else "s"),
              file=sys.stderr)
        for p in problems[: a.max_errors]:
            print("  " + p.replace("\n", "\n  "), file=sys.stderr)
        if len(problems) > a.max_errors:
            print("  ... %d more" % (len(problems) - a.max_errors), file=sys.stderr)
        return 1
    print("validate-cdx: VALID (CycloneDX %s %s)" % (spec, fmt.upper()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
