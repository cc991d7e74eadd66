#!/usr/bin/env bash
# Packages release binaries the way the Action's installer (ci/install.sh)
# expects them. The release workflow (.github/workflows/release.yml) runs it,
# and so do the tests (tests/action.rs), on the binary they built: the layout
# the installer is tested against is the one the release publishes.
#
#   package-release.sh VERSION TARGET BINARY OUTDIR
#       OUTDIR/tacos-sbom-VERSION-TARGET.tar.gz (one folder of that name
#       holding tacos-sbom and README.md, and LICENSE if there is one) and its .sha256
#   package-release.sh --sums OUTDIR
#       OUTDIR/SHA256SUMS over every tarball in OUTDIR, after checking each
#       against its own .sha256 (what each build job computed)
set -euo pipefail

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}
fail() { echo "error: $*" >&2; exit 1; }

if [ "${1:-}" = "--sums" ]; then
  [ "$#" -eq 2 ] || fail "usage: $0 --sums OUTDIR"
  cd "$2"
  shopt -s nullglob
  tarballs=(tacos-sbom-*.tar.gz)
  [ "${#tarballs[@]}" -gt 0 ] || fail "$2: no tacos-sbom-*.tar.gz to sum"
  for t in "${tarballs[@]}"; do
    [ -f "$t.sha256" ] || fail "$2/$t: no $t.sha256 beside it"
    sha256 -c "$t.sha256" >/dev/null || fail "$2/$t: does not match $t.sha256 (changed since it was built)"
  done
  sha256 "${tarballs[@]}" > SHA256SUMS
  exit 0
fi

[ "$#" -eq 4 ] || fail "usage: $0 VERSION TARGET BINARY OUTDIR"
version="$1" target="$2" binary="$3" outdir="$4"
[ -f "$binary" ] || fail "$binary: no such file"
here="$(cd "$(dirname "$0")/.." && pwd)"
name="tacos-sbom-$version-$target"
mkdir -p "$outdir"
stage="$(mktemp -d "${TMPDIR:-/tmp}/tacos-package.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$binary" "$stage/$name/tacos-sbom"
chmod 755 "$stage/$name/tacos-sbom"
for f in LICENSE README.md; do
  if [ -f "$here/$f" ]; then cp "$here/$f" "$stage/$name/"; fi
done
tar -C "$stage" -czf "$outdir/$name.tar.gz" "$name"
(cd "$outdir" && sha256 "$name.tar.gz" > "$name.tar.gz.sha256")
echo "$outdir/$name.tar.gz"
