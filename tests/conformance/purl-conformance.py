#!/usr/bin/env python3
"""purl-conformance.py [--suite DIR_OR_FILE ...] [--show-failures] [--no-js]

Run the reference purl implementations (packageurl-python, packageurl-js) against the
package-url/purl-spec test suites stored beside this script:
  * purl-spec-tests/tests/{spec,types}/*.json  current suite (schema purl-test 0.2:
    test_type parse|build|validate, test_group required|recommended)
  * purl-test-suite-data.json                  legacy single-file suite (removed upstream
    2025-07; last content from commit 3bcba88): purl, canonical_purl, components, is_invalid
Prints a pass/fail table per implementation. Use it to know how far each reference library
can be trusted before using it to judge the project's purls (validate-purl.py).
Exit 0 always unless setup fails (2): this measures the checkers, it does not gate.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conformance_env import ensure as _ensure_env  # noqa: E402


_ensure_env(["packageurl"])
from importlib.metadata import version as dv  # noqa: E402

from packageurl import PackageURL  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def default_suites():
    for base in (HERE,):
        cur = os.path.join(base, "purl-spec-tests")
        leg = os.path.join(base, "purl-test-suite-data.json")
        if os.path.isdir(cur) or os.path.isfile(leg):
            return [p for p in (cur, leg) if os.path.exists(p)]
    return []


def load_cases(paths):
    """Normalise both suite formats to (suite, group, op, input, expected_failure, expected)."""
    cases = []
    for p in paths:
        files = sorted(glob.glob(os.path.join(p, "tests", "*", "*.json"))) if os.path.isdir(p) else [p]
        for f in files:
            with open(f, encoding="utf-8") as fh:
                d = json.load(fh)
            if isinstance(d, dict) and "tests" in d:
                for t in d["tests"]:
                    cases.append(("current", t["test_group"], t["test_type"], t["input"],
                                  bool(t.get("expected_failure")), t.get("expected_output"),
                                  os.path.basename(f), t.get("description", "")))
            elif isinstance(d, list):  # legacy
                for t in d:
                    comps = {k: t.get(k) for k in ("type", "namespace", "name", "version",
                                                    "qualifiers", "subpath")}
                    inv = bool(t.get("is_invalid"))
                    cases.append(("legacy", "required", "parse", t["purl"], inv,
                                  None if inv else comps, "purl-test-suite-data.json", t["description"]))
                    cases.append(("legacy", "required", "validate", t["purl"], inv,
                                  None if inv else t.get("canonical_purl"), "purl-test-suite-data.json",
                                  t["description"]))
                    if not inv:
                        cases.append(("legacy", "required", "build", comps, False, t.get("canonical_purl"),
                                      "purl-test-suite-data.json", t["description"]))
    return cases


def _norm(c):
    if not isinstance(c, dict):
        return c
    out = {}
    for k in ("type", "namespace", "name", "version", "qualifiers", "subpath"):
        v = c.get(k)
        out[k] = None if v in ("", {}, None) else v
    return out


def run_python(op, inp):
    if op == "parse":
        p = PackageURL.from_string(inp)
        return p.to_dict(encode=False, empty=None)
    if op == "validate":
        return PackageURL.from_string(inp).to_string()
    if op == "build":
        i = inp or {}
        return PackageURL(type=i.get("type"), namespace=i.get("namespace"), name=i.get("name"),
                          version=i.get("version"), qualifiers=i.get("qualifiers"),
                          subpath=i.get("subpath")).to_string()
    raise ValueError("unknown op")


def run_js(cases):
    js = os.path.join(HERE, "purl-js.mjs")
    try:
        proc = subprocess.run(["node", js], input=json.dumps([{"op": c[2], "input": c[3]} for c in cases]),
                              capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    if proc.returncode != 0:
        return None, proc.stderr.strip()
    d = json.loads(proc.stdout)
    return d, None


def judge(case, ok, out):
    _, _, op, _, exp_fail, exp, _, _ = case
    if exp_fail:
        return not ok
    if not ok:
        return False
    if op == "parse":
        return _norm(out) == _norm(exp)
    return out == exp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", action="append")
    ap.add_argument("--show-failures", action="store_true")
    ap.add_argument("--no-js", action="store_true")
    a = ap.parse_args()
    suites = a.suite or default_suites()
    if not suites:
        print("purl-conformance: no test suite found (expected purl-spec-tests beside this script)",
              file=sys.stderr)
        return 2
    cases = load_cases(suites)
    impls = {}
    py_res = []
    for c in cases:
        try:
            py_res.append((True, run_python(c[2], c[3]), None))
        except Exception as e:  # noqa: BLE001 - any exception is a failure of that case
            py_res.append((False, None, "%s: %s" % (type(e).__name__, e)))
    impls["packageurl-python %s" % dv("packageurl-python")] = py_res
    if not a.no_js:
        d, err = run_js(cases)
        if d is None:
            print("purl-conformance: packageurl-js not run: %s" % err)
        else:
            impls[d["tool"]] = [(r["ok"], r.get("output"), r.get("error")) for r in d["results"]]

    print("purl-conformance: %d cases from %s" % (len(cases), ", ".join(os.path.relpath(s) for s in suites)))
    for name, res in impls.items():
        tally = defaultdict(Counter)
        fails = []
        for c, (ok, out, err) in zip(cases, res):
            key = "%s/%s/%s" % (c[0], c[1], c[2])
            good = judge(c, ok, out)
            tally[key]["pass" if good else "fail"] += 1
            if not good:
                fails.append((c, ok, out, err))
        tot_p = sum(t["pass"] for t in tally.values())
        tot_f = sum(t["fail"] for t in tally.values())
        print("\n== %s: %d pass, %d fail" % (name, tot_p, tot_f))
        for k in sorted(tally):
            print("   %-32s pass %4d  fail %4d" % (k, tally[k]["pass"], tally[k]["fail"]))
        if a.show_failures:
            for c, ok, out, err in fails:
                print("   FAIL [%s %s %s] %s: input=%s expected=%s got=%s" % (
                    c[6], c[1], c[2], c[7], json.dumps(c[3]),
                    "FAILURE" if c[4] else json.dumps(c[5]),
                    ("error: " + str(err)) if not ok else json.dumps(out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
