#!/usr/bin/env python3
"""validate-license-expr.py [EXPR ...] [--sbom FILE ...] [--no-js] [--strict] [--no-licenseref]

Validate SPDX license expressions with reference implementations:
  * license-expression (PyPI, aboutcode; also what spdx-tools uses): get_spdx_licensing()
    .parse(expr, validate=True, strict=True) + .validate(); license list = ScanCode
    LicenseDB index (SPDX license list version printed below)
  * spdx-expression-parse (npm, via license-js.mjs): SPDX Annex D grammar with the
    spdx-license-ids / spdx-exceptions lists (case-SENSITIVE ids)
Expressions come from the command line and/or SBOMs (--sbom): CycloneDX JSON/XML
(licenses[].expression, licenses[].license.id) and SPDX 2.x JSON/YAML/tag-value
(licenseConcluded/licenseDeclared/licenseInfoFromFiles/licenseInfoInFiles;
NOASSERTION and NONE are skipped).

Verdict: INVALID if either library rejects the expression (its own error text is shown).
LicenseRef-<idstring> / DocumentRef-<id>:LicenseRef-<id> are valid SPDX syntax; license-
expression only knows ScanCode's own LicenseRef-scancode-* keys, so other LicenseRefs are
accepted here by pattern unless --no-licenseref. A valid but non-normalised expression
(e.g. "mit", deprecated "GPL-2.0+") is a warning, an error with --strict.
Exit: 0 all valid, 1 any invalid, 2 usage/setup error.
"""
import argparse
import json
import os
import re
import subprocess
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conformance_env import ensure as _ensure_env  # noqa: E402


_ensure_env(["license_expression", "lxml", "yaml"])
from importlib.metadata import version as dv  # noqa: E402

import license_expression as le  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LICENSEREF = re.compile(r"^(DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+$")
SKIP = {"NOASSERTION", "NONE", ""}


def spdx_list_version():
    p = os.path.join(os.path.dirname(le.__file__), "data", "license_key_index.json.ABOUT")
    try:
        with open(p) as f:
            m = re.search(r"spdx_license_list_version:\s*(\S+)", f.read())
            return m.group(1) if m else "?"
    except OSError:
        return "?"


def exprs_from_sbom(path):
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8", "replace")
    head = text.lstrip("\ufeff \t\r\n")
    out = []
    if head.startswith("<"):
        from lxml import etree
        root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        for el in root.iter():
            if not isinstance(el.tag, str) or not el.text:
                continue
            q = etree.QName(el)
            parent = el.getparent()
            if q.localname == "expression" or (q.localname == "id" and parent is not None
                                               and etree.QName(parent).localname == "license"):
                out.append(el.text.strip())
        return out
    doc = None
    if head.startswith("{"):
        doc = json.loads(text)
    elif path.lower().endswith((".yaml", ".yml")):
        import yaml
        doc = yaml.safe_load(text)
    if doc is None:  # SPDX tag-value
        tags = r"(?:PackageLicenseConcluded|PackageLicenseDeclared|PackageLicenseInfoFromFiles|" \
               r"LicenseConcluded|LicenseInfoInFile|SnippetLicenseConcluded|LicenseInfoInSnippet)"
        for m in re.finditer(r"^%s:\s*(.+?)\s*$" % tags, text, re.M):
            out.append(m.group(1))
        return [e for e in out if e not in SKIP]
    keys = {"licenseConcluded", "licenseDeclared", "licenseInfoFromFiles", "licenseInfoInFiles",
            "licenseInfoInSnippets", "expression"}

    def walk(o, parent_key=None):
        if isinstance(o, dict):
            for k, v in o.items():
                if k in keys and isinstance(v, str):
                    out.append(v)
                elif k in keys and isinstance(v, list):
                    out.extend(x for x in v if isinstance(x, str))
                elif k == "license" and isinstance(v, dict) and isinstance(v.get("id"), str):
                    out.append(v["id"])
                walk(v, k)
        elif isinstance(o, list):
            for v in o:
                walk(v, parent_key)
    walk(doc)
    return [e for e in out if e not in SKIP]


def check_python(licensing, expr, allow_ref):
    """Return (errors, normalized)."""
    try:
        parsed = licensing.parse(expr, validate=True, strict=True)
        return [], (str(parsed) if parsed is not None else None)
    except le.ExpressionError as e:
        msg = str(e)
    except Exception as e:  # noqa: BLE001 - e.g. boolean.ParseError
        msg = "%s: %s" % (type(e).__name__, e)
    # Unknown keys: accept user-defined LicenseRefs (valid SPDX syntax) if allowed.
    try:
        info = licensing.validate(expr, strict=True)
    except Exception:  # noqa: BLE001 - validate() itself can crash (AttributeError on some input)
        return [msg], None
    unknown = list(info.invalid_symbols)
    other = [er for er in info.errors if not er.startswith("Unknown license key")]
    if allow_ref and not other and unknown and all(LICENSEREF.match(s) for s in unknown):
        return [], expr
    return [msg], None


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("\n")[0])
    ap.add_argument("exprs", nargs="*")
    ap.add_argument("--sbom", action="append", default=[])
    ap.add_argument("--no-js", action="store_true")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--no-licenseref", action="store_true")
    a = ap.parse_args()

    items = [(e, "argv") for e in a.exprs]
    for s in a.sbom:
        try:
            items += [(e, s) for e in exprs_from_sbom(s)]
        except Exception as e:  # noqa: BLE001
            print("validate-license-expr: cannot read %s: %s" % (s, e), file=sys.stderr)
            return 2
    if not items:
        print("validate-license-expr: no expressions given/found", file=sys.stderr)
        return 2 if not a.sbom else 0

    js = None
    js_err = "disabled"
    if not a.no_js:
        try:
            p = subprocess.run(["node", os.path.join(HERE, "license-js.mjs")],
                               input=json.dumps([e for e, _ in items]), capture_output=True,
                               text=True, timeout=120)
            if p.returncode == 0:
                js = json.loads(p.stdout)
            else:
                js_err = p.stderr.strip()
        except (OSError, subprocess.TimeoutExpired) as e:
            js_err = str(e)
    tools = "license-expression %s (SPDX license list %s)" % (dv("license-expression"), spdx_list_version())
    if js:
        tools += " + %s" % js["tool"]
    print("validate-license-expr: judged by %s%s" % (tools, "" if js else " (JS check not used: %s)" % js_err))

    licensing = le.get_spdx_licensing()
    bad = 0
    for i, (expr, src) in enumerate(items):
        errs, warns = [], []
        perrs, norm = check_python(licensing, expr, not a.no_licenseref)
        errs += ["license-expression: " + e for e in perrs]
        if js and not js["results"][i]["ok"]:
            errs.append("spdx-expression-parse: " + js["results"][i]["error"])
        if not perrs and norm is not None and norm != expr:
            (errs if a.strict else warns).append("not normalised; license-expression normalises to: %s" % norm)
        where = "" if src == "argv" else " [%s]" % src
        if errs:
            bad += 1
            print("INVALID %r%s" % (expr, where))
            for e in errs:
                print("    - " + e)
        else:
            print("OK      %r%s" % (expr, where))
        for w in warns:
            print("    ~ warning: " + w)
    print("validate-license-expr: %d checked, %d invalid" % (len(items), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
