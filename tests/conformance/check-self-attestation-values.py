#!/usr/bin/env python3
"""check-self-attestation-values.py STATEMENTS.json BUNDLE.sigstore.json

An independent check of what tacos-sbom took from a maintainers' self-attestation: for every
field of every TACOS statement in STATEMENTS.json (a JSON list, as `tacos-sbom assess`
prints) whose evidence's ReasonCode is "maintainer-attested", the value must be the one the
bundle's in-toto statement states for that field (predicate.fields), the evidence's
Observed.sha256 the SHA-256 of the bundle file, and the statement's package (its PURL
without version) one of the statement's subjects. The payload is read straight from the
bundle's DSSE envelope here (base64, JSON); its signature is judged elsewhere (sigstore-js,
verify-bundle-keyless.mjs). Written apart from the tool's Rust code.

Prints one line per value and a total ("N values moved, all match").
Exit: 0 all match, 1 a mismatch (named), 2 usage error.
"""
import base64
import hashlib
import json
import pathlib
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    statements = json.loads(pathlib.Path(sys.argv[1]).read_text())
    raw = pathlib.Path(sys.argv[2]).read_bytes()
    bundle = json.loads(raw)
    payload = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    fields = payload["predicate"]["fields"]
    subjects = {s["name"] for s in payload["subject"]}
    digest = hashlib.sha256(raw).hexdigest()
    moved, bad = 0, []
    for s in statements:
        package = s["PURL"].split("@")[0].split("?")[0].split("#")[0]
        for field, e in (s.get("Evidence") or {}).items():
            if e.get("ReasonCode") != "maintainer-attested":
                continue
            moved += 1
            seen = e.get("Observed") or {}
            ok = (
                s.get(field) == fields.get(field)
                and seen.get("sha256") == digest
                and package in subjects
            )
            print(f"{'ok' if ok else 'MISMATCH'} {s['PURL']} {field}: {s.get(field)!r} (bundle states {fields.get(field)!r})")
            if not ok:
                bad.append(f"{s['PURL']} {field}")
    if bad:
        print(f"{len(bad)} of {moved} values do not match the bundle: {', '.join(bad)}")
        return 1
    print(f"{moved} values moved, all match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
