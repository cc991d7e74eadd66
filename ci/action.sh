#!/usr/bin/env bash
# The steps of the GitHub Action (action.yml): enrich -> verify -> report ->
# package, for one SBOM. The tests run this very script against the fixture
# server (tests/action.rs), so what the Action runs is what was tested.
#
# Inputs (environment):
#   TACOS_SBOM             the SBOM to enrich (required)
#   TACOS_OUT_DIR          where everything goes (default: tacos-out)
#   TACOS_SIGNING_KEY      path of the private key (PEM or cosign; COSIGN_PASSWORD for cosign)
#   TACOS_SIGNING_KEY_PEM  the private key itself (from a secret); written to a 0600 temp file
#   TACOS_PUBLIC_KEY       the signer's public key, to verify with (else: the key beside
#                          the artifacts, which proves integrity only, and the run says so)
#   TACOS_EPHEMERAL_KEY    true: sign with a throwaway key on purpose
#   TACOS_KEYLESS          true: keyless (Sigstore) signing with the job's OIDC identity (the
#                          workflow needs 'permissions: id-token: write'); not with a key
#   TACOS_SIGNING_CONFIG   keyless: a Sigstore signing config (default: the public-good one)
#   TACOS_TRUSTED_ROOT     keyless: the trusted root to verify with (default: the public-good
#                          one built in); give it with TACOS_SIGNING_CONFIG for another instance
#   TACOS_CERTIFICATE_IDENTITY, TACOS_CERTIFICATE_OIDC_ISSUER
#                          keyless: who must have signed (default: the identity and issuer
#                          the run's own certificate was issued for, as enrich reports them)
#   TACOS_FAIL_ON          policy rules FIELD=VALUE, separated by spaces or newlines
#   TACOS_MAX_NOASSERTION  policy: the most NOASSERTION values allowed, in percent
#   TACOS_REQUIRE_SOURCES  true: fail when an ecosystem has no registry source
#   TACOS_CONFIG           a tacos-sbom.toml
#   TACOS_BIN              the tacos-sbom binary (default: tacos-sbom on PATH)
# Exit: 0 all passed; 1 the policy or verification failed (every output still
# written); 2 bad input or usage.
set -uo pipefail

bin="${TACOS_BIN:-tacos-sbom}"
sbom="${TACOS_SBOM:-}"
out="${TACOS_OUT_DIR:-tacos-out}"
fail() { echo "error: $*" >&2; exit 2; }
is_true() { [ "${1:-false}" = "true" ]; }

[ -n "$sbom" ] || fail "no SBOM given (input sbom / TACOS_SBOM)"
[ -f "$sbom" ] || fail "$sbom: no such file"
keyless=false
if is_true "${TACOS_KEYLESS:-false}"; then
  keyless=true
  if [ -n "${TACOS_SIGNING_KEY_PEM:-}${TACOS_SIGNING_KEY:-}${TACOS_PUBLIC_KEY:-}" ] || is_true "${TACOS_EPHEMERAL_KEY:-false}"; then
    fail "keyless: true signs with the job's OIDC identity; do not give signing-key, public-key or ephemeral-key with it"
  fi
elif [ -n "${TACOS_SIGNING_CONFIG:-}${TACOS_TRUSTED_ROOT:-}${TACOS_CERTIFICATE_IDENTITY:-}${TACOS_CERTIFICATE_OIDC_ISSUER:-}" ]; then
  fail "signing-config, trusted-root, certificate-identity and certificate-oidc-issuer are for keyless: true"
fi
mkdir -p "$out"

key_args=()
if $keyless; then
  key_args=(--keyless)
  [ -n "${TACOS_SIGNING_CONFIG:-}" ] && key_args+=(--signing-config "$TACOS_SIGNING_CONFIG")
elif [ -n "${TACOS_SIGNING_KEY_PEM:-}" ]; then
  keyfile="$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tacos-key.XXXXXX")"
  chmod 600 "$keyfile"
  trap 'rm -f "$keyfile"' EXIT
  printf '%s\n' "$TACOS_SIGNING_KEY_PEM" > "$keyfile"
  key_args=(--key "$keyfile")
elif [ -n "${TACOS_SIGNING_KEY:-}" ]; then
  key_args=(--key "$TACOS_SIGNING_KEY")
elif is_true "${TACOS_EPHEMERAL_KEY:-false}"; then
  key_args=(--ephemeral-key)
fi

policy=()
for rule in ${TACOS_FAIL_ON:-}; do policy+=(--fail-on "$rule"); done
[ -n "${TACOS_MAX_NOASSERTION:-}" ] && policy+=(--max-noassertion "$TACOS_MAX_NOASSERTION")
config=()
[ -n "${TACOS_CONFIG:-}" ] && config=(--config "$TACOS_CONFIG")
sources=()
is_true "${TACOS_REQUIRE_SOURCES:-false}" && sources=(--require-sources)

# The enriched SBOM gets the tool's own default name in $out (enrich is given
# the folder, not a name): its path, and a keyless signer's identity, are
# read from enrich's JSON summary.
summary_field() {
  local jq_path="$2" py_expr="$3"
  if command -v jq >/dev/null; then
    jq -r "$jq_path // empty" "$1"
  elif command -v python3 >/dev/null; then
    python3 -c "import json, sys; d = json.load(open(sys.argv[1])); v = $py_expr; print(v or '')" "$1"
  else
    fail "jq or python3 is needed to read $1"
  fi
}
enriched_path() {
  summary_field "$1" '.documents[0].output' '(d.get("documents") or [{}])[0].get("output")'
}

echo "::group::tacos-sbom enrich"
"$bin" enrich "$sbom" -o "$out" --attestations-dir "$out/tacos-attestations" \
  "${key_args[@]}" "${config[@]}" "${policy[@]}" "${sources[@]}" -f json > "$out/enrich.json"
enrich_rc=$?
echo "::endgroup::"
# Enrich said why on stderr; no output is set, so the Action's upload steps
# (and a workflow's SARIF upload guarded on them) are skipped, not failed again.
[ "$enrich_rc" -eq 2 ] && exit 2
enriched="$(enriched_path "$out/enrich.json" 2>/dev/null || true)"
[ -n "$enriched" ] && [ -f "$enriched" ] || {
  echo "error: enrich wrote no enriched SBOM for $sbom (its messages are above)" >&2
  exit 2
}

verify_key=()
if $keyless; then
  # Without an identity given, the run's own: verification then proves every
  # artifact was signed by the identity the CA certified for this job.
  identity="${TACOS_CERTIFICATE_IDENTITY:-$(summary_field "$out/enrich.json" '.signerIdentity.identity' '(d.get("signerIdentity") or {}).get("identity")')}"
  issuer="${TACOS_CERTIFICATE_OIDC_ISSUER:-$(summary_field "$out/enrich.json" '.signerIdentity.issuer' '(d.get("signerIdentity") or {}).get("issuer")')}"
  [ -n "$identity" ] && [ -n "$issuer" ] || {
    echo "error: enrich reported no keyless signer in $out/enrich.json" >&2
    exit 2
  }
  echo "verifying keyless artifacts as signed by $identity (OIDC issuer $issuer)" >&2
  verify_key=(--certificate-identity "$identity" --certificate-oidc-issuer "$issuer")
  [ -n "${TACOS_TRUSTED_ROOT:-}" ] && verify_key+=(--trusted-root "$TACOS_TRUSTED_ROOT")
elif [ -n "${TACOS_PUBLIC_KEY:-}" ]; then
  verify_key=(--key "$TACOS_PUBLIC_KEY")
else
  echo "warning: no public-key given: verifying with the key written beside the artifacts, which proves they are intact, not who signed them" >&2
  verify_key=(--allow-unauthenticated)
fi

echo "::group::tacos-sbom verify"
"$bin" verify "$enriched" "${verify_key[@]}" -f json > "$out/verify.json"
verify_rc=$?
echo "::endgroup::"
[ "$verify_rc" -eq 2 ] && exit 2

echo "::group::tacos-sbom report"
report_key=()
if $keyless; then
  report_key=("${verify_key[@]}")
elif [ -n "${TACOS_PUBLIC_KEY:-}" ]; then
  report_key=(--key "$TACOS_PUBLIC_KEY")
fi
"$bin" report "$enriched" "${report_key[@]}" -f html -o "$out/tacos-summary.html" || true
"$bin" report "$enriched" "${report_key[@]}" "${config[@]}" "${policy[@]}" -f sarif -o "$out/tacos-policy.sarif" || true
echo "::endgroup::"

echo "::group::tacos-sbom package"
"$bin" package "$enriched" -o "$out/tacos-evidence.tar.gz" "${verify_key[@]}"
package_rc=$?
echo "::endgroup::"

# Only what was written: an output set to a missing file would send the
# upload steps after an empty or absent path.
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  for pair in "enriched-sbom=$enriched" "bundle=$out/tacos-evidence.tar.gz" \
    "summary=$out/tacos-summary.html" "sarif=$out/tacos-policy.sarif"; do
    [ -f "${pair#*=}" ] && echo "$pair" >> "$GITHUB_OUTPUT"
  done
fi

for rc in "$enrich_rc" "$verify_rc" "$package_rc"; do
  [ "$rc" -eq 2 ] && exit 2
done
for rc in "$enrich_rc" "$verify_rc" "$package_rc"; do
  [ "$rc" -ne 0 ] && exit 1
done
exit 0
