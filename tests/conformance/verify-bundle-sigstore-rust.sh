#!/usr/bin/env bash
# verify-bundle-sigstore-rust.sh BUNDLE TRUSTED_ROOT.json
#     (--key PUBKEY.pem | --certificate-identity ID --certificate-oidc-issuer ISS)
#
# sigstore-rust's sigstore-verify 0.15.1 judging a Sigstore bundle offline against a
# trusted_root.json: the checker in tests/conformance/sigstore-rust, built by INSTALL.sh into
# $CONFORMANCE_HOME/bin. Exit: 0 verified, 1 refused, 2 usage or setup.
set -uo pipefail
home="${CONFORMANCE_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools/conformance}"
bin="$home/bin/verify-bundle-sigstore-rust"
if [ ! -x "$bin" ]; then
  echo "verify-bundle-sigstore-rust: $bin not found: run tests/conformance/INSTALL.sh or set CONFORMANCE_HOME" >&2
  exit 2
fi
exec "$bin" "$@"
