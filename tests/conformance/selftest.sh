#!/usr/bin/env bash
# selftest.sh - prove every checker in this directory on real inputs (positive AND negative).
#   ./selftest.sh                 # uses $CONFORMANCE_HOME (default: .tools/conformance in the repository)
#   CDX_SPEC_TESTS=<dir> ./selftest.sh
#        also run validate-cdx.py over CycloneDX/specification tools/src/test/resources/1.{4,5,6}
#        (valid-* must pass, invalid-* must fail)
# Exit 0 only if every check gave the expected verdict.
set -u
T="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
F="$T/fixtures"
home="${CONFORMANCE_HOME:-$T/../../.tools/conformance}"
PY="$home/venv/bin/python"
[ -x "$PY" ] || { echo "selftest: no venv at $home/venv; run INSTALL.sh first" >&2; exit 2; }
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
pass=0; fail=0
expect() {  # expect RC NAME -- CMD...
  local want="$1" name="$2"; shift 3
  local out; out="$("$@" 2>&1)"; local rc=$?
  if [ "$rc" = "$want" ]; then pass=$((pass+1)); printf 'ok    %-64s rc=%s\n' "$name" "$rc"
  else fail=$((fail+1)); printf 'FAIL  %-64s rc=%s want=%s\n' "$name" "$rc" "$want"; printf '%s\n' "$out" | sed 's/^/        /' | tail -15; fi
}

echo "== CycloneDX (validate-cdx.py)"
for f in "$F"/cdx-*; do
  b="$(basename "$f")"; case "$b" in *invalid*) want=1 ;; *) want=0 ;; esac
  expect $want "cdx $b" -- "$T/validate-cdx.py" "$f"
done
expect 1 "cdx 1.6 file checked as --spec 1.5 (mismatch)" -- "$T/validate-cdx.py" "$F/cdx-1.6-valid.json" --spec 1.5
if [ -n "${CDX_SPEC_TESTS:-}" ]; then
  for v in 1.4 1.5 1.6; do
    for f in "$CDX_SPEC_TESTS/$v"/valid-*.json "$CDX_SPEC_TESTS/$v"/valid-*.xml "$CDX_SPEC_TESTS/$v"/invalid-*.json "$CDX_SPEC_TESTS/$v"/invalid-*.xml; do
      [ -e "$f" ] || continue
      b="$(basename "$f")"; case "$b" in invalid-*) want=1 ;; *) want=0 ;; esac
      expect $want "cdx-spec $v/$b" -- "$T/validate-cdx.py" "$f"
    done
  done
fi

echo "== SPDX (validate-spdx.sh)"
for f in "$F"/spdx-*; do
  b="$(basename "$f")"; case "$b" in *invalid*) want=1 ;; *) want=0 ;; esac
  expect $want "spdx $b" -- "$T/validate-spdx.sh" "$f"
done
"$PY" - "$F/spdx-2.3-valid.spdx.json" "$W/spdx-typo.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); p = d["packages"][1]
p["externalRef"] = p.pop("externalRefs")           # misspelt field: spdx-tools ignores it
json.dump(d, open(sys.argv[2], "w"))
EOF
expect 1 "spdx misspelt field (only the JSON schema catches it)" -- "$T/validate-spdx.sh" "$W/spdx-typo.json"
sed 's/^PackageHomePage:/PackageHomepage:/' "$F/spdx-2.3-valid.spdx" > "$W/tv-typo.spdx"
expect 1 "spdx tag-value with a misspelt tag" -- "$T/validate-spdx.sh" "$W/tv-typo.spdx"
cp "$F/spdx-2.3-valid.spdx" "$W/tagvalue-no-extension"
expect 0 "spdx tag-value without .spdx extension (sniffed)" -- "$T/validate-spdx.sh" "$W/tagvalue-no-extension"

echo "== DSSE / in-toto / Sigstore bundle"
cd "$W"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.key 2>/dev/null
openssl pkey -in p256.key -pubout -out p256.pub
openssl genpkey -algorithm ed25519 -out ed.key && openssl pkey -in ed.key -pubout -out ed.pub
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key 2>/dev/null
openssl pkey -in other.key -pubout -out other.pub
printf 'release artifact bytes\n' > artifact.bin
S="$T/sign-dsse.py"
for k in p256 ed; do
  "$S" --key $k.key --statement-for artifact.bin -o A-$k.env.json                 # signer A: pyca/cryptography
  "$S" --key $k.key --statement-for artifact.bin --bundle -o A-$k.bundle.json
  "$S" --key $k.key --statement-for artifact.bin --tamper-payload -o A-$k.tampered.json
  "$S" --key $k.key --statement-for artifact.bin --bundle --tamper-payload -o A-$k.tampered.bundle.json
done
"$S" --key p256.key --statement-for artifact.bin --sig-encoding raw -o A-p256.raw.json
"$S" --key p256.key --statement-for artifact.bin --sig-encoding raw --bundle -o A-p256.raw.bundle.json
"$S" --key p256.key --statement-for artifact.bin --no-keyid -o A-p256.nokeyid.json
"$S" --key p256.key --statement-for artifact.bin --b64 std-nopad -o A-p256.nopad.json
"$S" --key p256.key --statement-for artifact.bin --b64 url -o A-p256.url.json
"$PY" -c 'import json,base64,sys; print(base64.b64decode(json.load(open("A-p256.env.json"))["payload"]).decode(), end="")' > stmt.json
# signer B: openssl CLI over a hand-built PAE ("DSSEv1" SP len(type) SP type SP len(body) SP body)
PT='application/vnd.in-toto+json'
{ printf 'DSSEv1 %d %s %d ' "${#PT}" "$PT" "$(wc -c < stmt.json)"; cat stmt.json; } > pae.bin
openssl dgst -sha256 -sign p256.key -out B.p256.sig pae.bin          # ECDSA -> ASN.1 DER
openssl pkeyutl -sign -inkey ed.key -rawin -in pae.bin -out B.ed.sig  # Ed25519 -> 64 raw bytes
for k in p256 ed; do
  "$PY" -c 'import json,base64,sys; t,p,s=sys.argv[1:]; print(json.dumps({"payloadType":t,"payload":base64.b64encode(open(p,"rb").read()).decode(),"signatures":[{"keyid":"","sig":base64.b64encode(open(s,"rb").read()).decode()}]}))' "$PT" stmt.json B.$k.sig > B-$k.env.json
done
# signer C: securesystemslib CryptoSigner
"$PY" - <<'EOF'
import json
from cryptography.hazmat.primitives import serialization
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner
for k in ("p256", "ed"):
    priv = serialization.load_pem_private_key(open(k + ".key", "rb").read(), password=None)
    env = Envelope(open("stmt.json", "rb").read(), "application/vnd.in-toto+json", {})
    env.sign(CryptoSigner(priv))
    json.dump(env.to_dict(), open("C-%s.env.json" % k, "w"))
EOF
# signer D: sigstore-js (@sigstore/bundle toDSSEBundle + node crypto.sign)
for k in p256 ed; do
  "$T/sign-bundle.mjs" --key $k.key --payload stmt.json --keyid "" > D-$k.bundle.json
  "$T/sign-bundle.mjs" --key $k.key --payload stmt.json --keyid "$k-key" > D-$k.kid.bundle.json
done
VD="$T/verify-dsse.py"; VB="$T/verify-bundle.mjs"
for k in p256 ed; do
  for s in A-$k.env A-$k.bundle B-$k.env C-$k.env; do
    expect 0 "verify-dsse   $s (signed by ${s%%-*})" -- "$VD" $s.json $k.pub --artifact artifact.bin
    expect 0 "verify-bundle $s (signed by ${s%%-*})" -- "$VB" $s.json $k.pub artifact.bin
  done
  expect 0 "verify-dsse   D-$k.kid.bundle (sigstore-js signed, keyid set)" -- "$VD" D-$k.kid.bundle.json $k.pub --artifact artifact.bin
  expect 1 "verify-dsse   D-$k.bundle (sigstore-js omits empty keyid)" -- "$VD" D-$k.bundle.json $k.pub
  expect 0 "verify-dsse   D-$k.bundle --allow-missing-keyid" -- "$VD" D-$k.bundle.json $k.pub --allow-missing-keyid
  expect 0 "verify-bundle D-$k.bundle (sigstore-js signed)" -- "$VB" D-$k.bundle.json $k.pub artifact.bin
  for s in A-$k.tampered A-$k.tampered.bundle; do
    expect 1 "verify-dsse   $s (1 payload byte changed)" -- "$VD" $s.json $k.pub
    expect 1 "verify-bundle $s (1 payload byte changed)" -- "$VB" $s.json $k.pub
  done
done
expect 1 "verify-dsse   A-p256.env with the wrong key" -- "$VD" A-p256.env.json other.pub
expect 1 "verify-bundle A-p256.bundle with the wrong key" -- "$VB" A-p256.bundle.json other.pub
expect 1 "verify-dsse   Ed25519 envelope with a P-256 key" -- "$VD" A-ed.env.json p256.pub
expect 1 "verify-dsse   ECDSA raw r||s signature" -- "$VD" A-p256.raw.json p256.pub
expect 1 "verify-bundle ECDSA raw r||s signature" -- "$VB" A-p256.raw.bundle.json p256.pub
expect 1 "verify-dsse   no keyid field (securesystemslib cannot parse)" -- "$VD" A-p256.nokeyid.json p256.pub
expect 0 "verify-bundle no keyid field (sigstore-js accepts)" -- "$VB" A-p256.nokeyid.json p256.pub
expect 1 "verify-dsse   unpadded base64 (securesystemslib strict)" -- "$VD" A-p256.nopad.json p256.pub
expect 0 "verify-bundle unpadded base64 (sigstore-js lenient)" -- "$VB" A-p256.nopad.json p256.pub
expect 0 "verify-dsse   URL-safe base64" -- "$VD" A-p256.url.json p256.pub
expect 0 "verify-bundle URL-safe base64" -- "$VB" A-p256.url.json p256.pub
"$PY" -c 'import json; b=json.load(open("A-p256.bundle.json")); s=b["dsseEnvelope"]["signatures"]; s.append(dict(s[0], keyid="second")); json.dump(b, open("two-sigs.bundle.json","w"))'
expect 1 "verify-dsse   bundle with two signatures" -- "$VD" two-sigs.bundle.json p256.pub
expect 1 "verify-bundle bundle with two signatures" -- "$VB" two-sigs.bundle.json p256.pub
expect 1 "verify-dsse   artifact mismatch" -- "$VD" A-p256.env.json p256.pub --artifact p256.pub
expect 1 "verify-bundle artifact mismatch" -- "$VB" A-p256.bundle.json p256.pub p256.pub
expect 0 "openssl dgst -verify of a sign-dsse.py signature over the PAE" -- \
  bash -c "$PY -c 'import json,base64; e=json.load(open(\"A-p256.env.json\")); p=base64.b64decode(e[\"payload\"]); t=e[\"payloadType\"].encode(); open(\"pae2.bin\",\"wb\").write(b\"DSSEv1 %d %s %d %s\"%(len(t),t,len(p),p)); open(\"sig2.der\",\"wb\").write(base64.b64decode(e[\"signatures\"][0][\"sig\"]))' && openssl dgst -sha256 -verify p256.pub -signature sig2.der pae2.bin"
# statement-level negatives (validly signed, bad content)
printf '%s' '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"abc"}}],"predicateType":"https://example.com/p/v1","predicate":{"x":1}}' > bad-digest.json
printf '%s' '{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"a","digest":{"sha256":"'$(sha256sum artifact.bin | cut -c1-64)'"}}],"predicateType":"https://example.com/p/v1","predicate":{"x":1}}' > bad-type.json
printf '%s' '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"'$(sha256sum artifact.bin | cut -c1-64)'"}}],"predicate_type":"https://example.com/p/v1","predicate":{"x":1}}' > bad-fieldname.json
for s in bad-digest bad-type bad-fieldname; do
  "$S" --key p256.key --payload $s.json -o $s.env.json
  expect 1 "verify-dsse   signed Statement: $s" -- "$VD" $s.env.json p256.pub
done
"$S" --key p256.key --payload bad-type.json -o bad-type.env.json
expect 1 "verify-bundle signed Statement: bad-type" -- "$VB" bad-type.env.json p256.pub
"$S" --key p256.key --payload stmt.json --payload-type application/json -o wrong-pt.env.json
expect 1 "verify-dsse   payloadType application/json" -- "$VD" wrong-pt.env.json p256.pub
expect 1 "verify-bundle payloadType application/json" -- "$VB" wrong-pt.env.json p256.pub
cd - >/dev/null

echo "== PURL (validate-purl.py, purl-conformance.py)"
expect 0 "purl canonical cargo/npm/pypi" -- "$T/validate-purl.py" pkg:cargo/serde@1.0.210 'pkg:npm/%40types/node@20.1.0' pkg:pypi/requests@2.32.3
expect 0 "purl spec-style %2F in qualifier value accepted" -- "$T/validate-purl.py" 'pkg:cargo/serde@1.0.210?repository_url=https:%2F%2Fexample.com%2Findex'
expect 1 "purl missing scheme" -- "$T/validate-purl.py" cargo/serde@1.0.210
expect 1 "purl namespace on cargo (prohibited)" -- "$T/validate-purl.py" pkg:cargo/rust-lang/serde@1.0.210
expect 1 "purl non-canonical (unencoded @ in npm scope)" -- "$T/validate-purl.py" 'pkg:npm/@types/node@20.1.0'
expect 0 "purl non-canonical allowed with --allow-noncanonical" -- "$T/validate-purl.py" --allow-noncanonical 'pkg:npm/@types/node@20.1.0'
expect 0 "purls extracted from valid CDX/SPDX fixtures" -- "$T/validate-purl.py" --sbom "$F/cdx-1.6-valid.json" --sbom "$F/cdx-1.6-valid.xml" --sbom "$F/spdx-2.3-valid.spdx.json" --sbom "$F/spdx-2.3-valid.spdx"
expect 1 "purls extracted from spdx-2.3-invalid-purl-locator" -- "$T/validate-purl.py" --sbom "$F/spdx-2.3-invalid-purl-locator.spdx.json"
expect 0 "purl-conformance runs over the purl-spec suites" -- "$T/purl-conformance.py"

echo "== SPDX license expressions (validate-license-expr.py)"
expect 0 "license valid expressions" -- "$T/validate-license-expr.py" 'MIT OR Apache-2.0' 'Apache-2.0 WITH LLVM-exception' '(MIT OR Apache-2.0) AND Unicode-3.0' 'LicenseRef-acme-eula'
expect 1 "license unknown id" -- "$T/validate-license-expr.py" 'MIT OR Apache2'
expect 1 "license WITH on a compound expression" -- "$T/validate-license-expr.py" '(MIT AND BSD-3-Clause) WITH Classpath-exception-2.0'
expect 1 "license license used as exception" -- "$T/validate-license-expr.py" 'Apache-2.0 WITH MIT'
expect 1 "license unbalanced parenthesis" -- "$T/validate-license-expr.py" 'MIT AND (Apache-2.0 OR BSD-2-Clause'
expect 1 "license slash-separated (not SPDX)" -- "$T/validate-license-expr.py" 'MIT/Apache-2.0'
expect 0 "license deprecated GPL-2.0+ (warning only)" -- "$T/validate-license-expr.py" 'GPL-2.0+'
expect 1 "license deprecated GPL-2.0+ with --strict" -- "$T/validate-license-expr.py" --strict 'GPL-2.0+'
expect 0 "licenses extracted from valid fixtures" -- "$T/validate-license-expr.py" --sbom "$F/cdx-1.6-valid.json" --sbom "$F/cdx-1.6-valid.xml" --sbom "$F/spdx-2.3-valid.spdx.json" --sbom "$F/spdx-2.3-valid.spdx"
expect 1 "licenses extracted from spdx-2.3-invalid-license" -- "$T/validate-license-expr.py" --sbom "$F/spdx-2.3-invalid-license.spdx.json"

echo
echo "selftest: $pass passed, $fail failed"
[ $fail -eq 0 ]
