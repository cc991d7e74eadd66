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
#   TACOS_KEYLESS          true: keyless (Sigstore) signing -- not in the Action yet; fails,
#                          pointing at 'tacos-sbom enrich --keyless'
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
if is_true "${TACOS_KEYLESS:-false}"; then
  fail "keyless (Sigstore) signing is not in this Action yet (its report and package steps take a key); run 'tacos-sbom enrich --keyless' in a step of your own (docs/keyless.md), or give signing-key (a key made with 'tacos-sbom keygen', kept as a secret) or ephemeral-key: true"
fi
mkdir -p "$out"

key_args=()
if [ -n "${TACOS_SIGNING_KEY_PEM:-}" ]; then
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
# the folder, not a name), and its path is read from enrich's JSON summary.
enriched_path() {
  if command -v jq >/dev/null; then
    jq -r '.documents[0].output // empty' "$1"
  elif command -v python3 >/dev/null; then
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])).get("documents") or [{}]; print(d[0].get("output") or "")' "$1"
  else
    fail "jq or python3 is needed to read $1"
  fi
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
if [ -n "${TACOS_PUBLIC_KEY:-}" ]; then
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
[ -n "${TACOS_PUBLIC_KEY:-}" ] && report_key=(--key "$TACOS_PUBLIC_KEY")
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
