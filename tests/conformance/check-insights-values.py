#!/usr/bin/env python3
"""check-insights-values.py STATEMENTS.json REPOS_DIR

An independent check of what tacos-sbom took from OpenSSF Security Insights files: for every
field of every TACOS statement in STATEMENTS.json (a JSON list, as `tacos-sbom assess`
prints) whose value is not NOASSERTION and whose evidence's Source is
"OpenSSF Security Insights", the value is recomputed here from the YAML file the evidence
names (Observed.repository "github.com/OWNER/REPO", Observed.file), read from
REPOS_DIR/github.com/OWNER/REPO/<file> with PyYAML's safe loader, by the mapping the
README documents:

  PackageSecurityPolicyURL  project.vulnerability-reporting.policy (or .security-policy),
                            and reports-accepted is true
  PackageSecurityContact    "mailto:" + project.vulnerability-reporting.contact.email,
                            and reports-accepted is true
  SDLCPolicyURL             the first of repository.documentation.contributing-guide,
                            .review-policy, .dependency-management-policy
  IncomeStreams             one stream: Type Variable, EvidenceURL project.funding

It also checks that the evidence's lastReviewed is the file's header.last-reviewed.
Written apart from the tool's Rust reader (another language, another YAML parser).

Prints one line per value checked and a total ("N values moved, all match").
Exit: 0 all match, 1 a mismatch (named), 2 usage error.
"""
import json
import pathlib
import sys

import yaml


def expected(field, doc):
    project = doc.get("project") or {}
    reporting = project.get("vulnerability-reporting") or {}
    accepted = reporting.get("reports-accepted") is True
    if field == "PackageSecurityPolicyURL":
        policy = reporting.get("policy") or reporting.get("security-policy")
        return policy if accepted else None
    if field == "PackageSecurityContact":
        email = (reporting.get("contact") or {}).get("email")
        return f"mailto:{email}" if accepted and email else None
    if field == "SDLCPolicyURL":
        docs = (doc.get("repository") or {}).get("documentation") or {}
        for key in ("contributing-guide", "review-policy", "dependency-management-policy"):
            if docs.get(key):
                return docs[key]
        return None
    if field == "IncomeStreams":
        funding = project.get("funding")
        return [{"Type": "Variable", "EvidenceURL": funding}] if funding else None
    raise KeyError(field)


def main():
    if len(sys.argv) != 3:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    statements = json.loads(pathlib.Path(sys.argv[1]).read_text())
    repos = pathlib.Path(sys.argv[2])
    moved, bad = 0, []
    for s in statements:
        for field, e in (s.get("Evidence") or {}).items():
            value = s.get(field)
            if e.get("Source") != "OpenSSF Security Insights" or value in (None, "NOASSERTION"):
                continue
            seen = e.get("Observed") or {}
            host_owner_repo = seen.get("repository", "")
            path = repos / host_owner_repo / seen.get("file", "")
            doc = yaml.safe_load(path.read_text())
            want = expected(field, doc)
            if field == "IncomeStreams":
                got = [{"Type": x.get("Type"), "EvidenceURL": x.get("EvidenceURL")} for x in value]
            else:
                got = value
            reviewed = str(doc["header"]["last-reviewed"])
            ok = got == want and seen.get("lastReviewed") == reviewed
            moved += 1
            print(f"{'ok' if ok else 'MISMATCH'} {s.get('PURL')} {field}: {got!r} (file says {want!r}, reviewed {reviewed})")
            if not ok:
                bad.append(f"{s.get('PURL')} {field}")
    if bad:
        print(f"{len(bad)} of {moved} values do not match their files: {', '.join(bad)}")
        return 1
    print(f"{moved} values moved, all match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
