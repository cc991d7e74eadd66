#!/usr/bin/env python3
"""validate-purl.py [PURL ...] [--sbom FILE ...] [--no-js] [--allow-noncanonical]

Cross-check Package URLs with the package-url organisation's reference implementations:
  * packageurl-python: PackageURL.from_string -> to_string (canonical form) and
    PackageURL.validate_string (per-type rules from the purl-spec type definitions)
  * packageurl-js (via purl-js.mjs): PackageURL.fromString -> toString
PURLs come from the command line and/or are extracted from SBOMs (--sbom): CycloneDX JSON/XML
(every "purl"), SPDX 2.x JSON/YAML (externalRefs with referenceType purl) and tag-value
("ExternalRef: PACKAGE-MANAGER purl ...").

Verdict per PURL:
  INVALID        a reference library rejects it, or validate_string reports an error
  NON-CANONICAL  the string equals neither library's canonical re-serialisation
                 (the two libraries disagree on a few encodings, see README; equal to one of
                 them = OK with a warning). --allow-noncanonical turns this into a warning.
Exit: 0 all OK, 1 any INVALID / NON-CANONICAL, 2 usage/setup error.
"""
import argparse
import json
import os
import re
import subprocess
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conformance_env import ensure as _ensure_env  # noqa: E402


_ensure_env(["packageurl", "lxml", "yaml"])
from importlib.metadata import version as dv  # noqa: E402

from packageurl import PackageURL  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def purls_from_sbom(path):
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8", "replace")
    head = text.lstrip("\ufeff \t\r\n")
    found = []
    if head.startswith("<"):
        from lxml import etree
        root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        for el in root.iter():
            if isinstance(el.tag, str) and etree.QName(el).localname == "purl" and el.text:
                found.append(el.text.strip())
        return found
    doc = None
    if head.startswith("{"):
        doc = json.loads(text)
    elif path.lower().endswith((".yaml", ".yml")):
        import yaml
        doc = yaml.safe_load(text)
    if doc is None:  # SPDX tag-value
        for m in re.finditer(r"^ExternalRef:\s*PACKAGE[-_]MANAGER\s+purl\s+(\S+)\s*$", text, re.M):
            found.append(m.group(1))
        return found

    def walk(o):
        if isinstance(o, dict):
            if isinstance(o.get("purl"), str):
                found.append(o["purl"])
            if o.get("referenceType") == "purl" and isinstance(o.get("referenceLocator"), str):
                found.append(o["referenceLocator"])
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(doc)
    return found


def _slash_decoded(p):
    """p with '%2F' in the qualifier section turned back into '/' (libraries' current output)."""
    head, hsep, frag = p.partition("#")
    base, qsep, quals = head.partition("?")
    return base + qsep + re.sub("%2[fF]", "/", quals) + hsep + frag


def js_canonical(purls):
    try:
        p = subprocess.run(["node", os.path.join(HERE, "purl-js.mjs")],
                           input=json.dumps([{"op": "validate", "input": s} for s in purls]),
                           capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    if p.returncode != 0:
        return None, p.stderr.strip()
    return json.loads(p.stdout), None


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("\n")[0])
    ap.add_argument("purls", nargs="*")
    ap.add_argument("--sbom", action="append", default=[])
    ap.add_argument("--no-js", action="store_true")
    ap.add_argument("--allow-noncanonical", action="store_true")
    a = ap.parse_args()

    items = [(p, "argv") for p in a.purls]
    for s in a.sbom:
        try:
            items += [(p, s) for p in purls_from_sbom(s)]
        except Exception as e:  # noqa: BLE001
            print("validate-purl: cannot read purls from %s: %s" % (s, e), file=sys.stderr)
            return 2
    if not items:
        print("validate-purl: no PURLs given/found", file=sys.stderr)
        return 2 if not a.sbom else 0

    js, js_err = (None, "disabled") if a.no_js else js_canonical([p for p, _ in items])
    tools = "packageurl-python %s" % dv("packageurl-python")
    if js:
        tools += " + %s" % js["tool"]
    print("validate-purl: judged by %s%s" % (tools, "" if js else " (packageurl-js not used: %s)" % js_err))

    bad = 0
    for i, (p, src) in enumerate(items):
        errs, warns = [], []
        try:
            py_canon = PackageURL.from_string(p).to_string()
        except ValueError as e:
            py_canon = None
            errs.append("packageurl-python: %s" % e)
        js_canon = None
        if js:
            r = js["results"][i]
            if r["ok"]:
                js_canon = r["output"]
            else:
                errs.append("packageurl-js: %s" % r["error"])
        if py_canon is not None:
            for m in PackageURL.validate_string(p, strict=False):
                if m.message.startswith("Unexpected purl type"):
                    # packageurl-python only has definitions for a subset of registered types
                    warns.append("packageurl-python has no type definition for %r (type rules not "
                                 "checked)" % PackageURL.from_string(p).type)
                else:
                    (errs if m.severity.value == "error" else warns).append(
                        "packageurl-python validate: %s" % m.message)
        canon = [c for c in (py_canon, js_canon) if c is not None]
        if not errs and canon and p not in canon and py_canon is not None \
                and _slash_decoded(p) == py_canon and _slash_decoded(p) != p:
            warns.append("differs from both libraries only by '%2F' for '/' in qualifier values, which is "
                         "what the current purl-spec test suite (ECMA-427) expects; accepted")
        elif not errs and canon and p not in canon:
            msg = "non-canonical; canonical per packageurl-python: %s%s" % (
                py_canon, "; per packageurl-js: %s" % js_canon if js else "")
            (warns if a.allow_noncanonical else errs).append(msg)
        elif not errs and js and py_canon != js_canon:
            warns.append("libraries disagree on canonical form (python: %s, js: %s); input matches %s"
                         % (py_canon, js_canon, "python" if p == py_canon else "js"))
        qpart = p.split("#", 1)[0].partition("?")[2]
        if not errs and any("/" in kv.partition("=")[2] for kv in qpart.split("&") if kv):
            warns.append("a qualifier value contains an unencoded '/'; the current purl-spec test suite "
                         "(ECMA-427) expects '%2F' there (e.g. repository_url=https:%2F%2Fhost%2Fpath), "
                         "neither reference library emits that yet")
        where = "" if src == "argv" else " [%s]" % src
        if errs:
            bad += 1
            print("INVALID %s%s" % (p, where))
            for e in errs:
                print("    - " + e)
        else:
            print("OK      %s%s" % (p, where))
        for w in warns:
            print("    ~ warning: " + w)
    print("validate-purl: %d checked, %d failed" % (len(items), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
