#!/usr/bin/env bash
# Puts tacos-sbom on PATH for the GitHub Action (action.yml): the pinned
# release's prebuilt binary, in seconds, instead of ten minutes of compiling.
#
#   install.sh                 download the release binary for this runner,
#                              check it against the release's SHA256SUMS,
#                              install it; or decide to build from source
#   install.sh --from-source   cargo install --locked --path (the Action's checkout)
#
# The release binary is used only when it is the code the workflow pinned:
# the Action's ref is the release tag v<version> (version from the checkout's
# Cargo.toml) or the commit the release was built from (its SOURCE_COMMIT).
# Only when there is no such binary (another ref, a runner no release is built
# for, or the release answers 404 for it) does the script print
# build-from-source=true to $GITHUB_OUTPUT; the Action then restores the Rust
# cache and runs --from-source. Any other failure to download, and any
# checksum that does not match, stops here with nothing installed: a
# downloaded binary is never run or installed before its checksum matched.
# The tests run this script against a loopback server (tests/action.rs).
#
# Environment:
#   TACOS_ACTION_PATH        the Action's checkout (default: $GITHUB_ACTION_PATH,
#                            else the repository holding this script)
#   TACOS_ACTION_REF         the ref the workflow pinned (default: the last part
#                            of the checkout's path, which the runner names so)
#   TACOS_ACTION_REPOSITORY  owner/name (default: from the checkout's path)
#   TACOS_RELEASE_BASE_URL   releases are at BASE/v<version>/<asset> (default:
#                            $GITHUB_SERVER_URL/<owner/name>/releases/download)
#   TACOS_TARGET             the target triple (default: from RUNNER_OS and
#                            RUNNER_ARCH, else uname)
#   TACOS_INSTALL_DIR        the binary goes to its bin/ (default: $RUNNER_TEMP/tacos-sbom)
#   TACOS_CARGO              cargo, for --from-source (default: cargo)
# Exit: 0 installed, or the build from source chosen; 1 it could not be.
set -euo pipefail

fail() { echo "error: $*" >&2; exit 1; }
output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1" >> "$GITHUB_OUTPUT"; fi; }
on_path() {
  if [ -n "${GITHUB_PATH:-}" ]; then echo "$1" >> "$GITHUB_PATH"; fi
  echo "installed: $1/tacos-sbom"
}

src="${TACOS_ACTION_PATH:-${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}}"
dest="${TACOS_INSTALL_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tacos-sbom}"
[ -f "$src/Cargo.toml" ] || fail "$src: not a tacos-sbom checkout (no Cargo.toml)"

if [ "${1:-}" = "--from-source" ]; then
  # In the checkout, where the Action's Rust cache step looks for it.
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$src/target}"
  echo "building tacos-sbom from source (about 10 minutes on 2 cores without a cache)"
  "${TACOS_CARGO:-cargo}" install --locked --path "$src" --root "$dest" --quiet
  on_path "$dest/bin"
  exit 0
fi
[ "$#" -eq 0 ] || fail "usage: $0 [--from-source]"

from_source() {
  echo "no release binary to use: $1; building from source instead" >&2
  output "build-from-source=true"
  exit 0
}

version="$(sed -n 's/^version *= *"\([^"]*\)"$/\1/p' "$src/Cargo.toml" | head -n 1)"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]] \
  || fail "$src/Cargo.toml: no package version found"
tag="v$version"

if [ -n "${TACOS_TARGET:-}" ]; then
  target="$TACOS_TARGET"
else
  case "${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}" in
    Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-gnu ;;
    Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-gnu ;;
    macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
    macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
    *) from_source "no release is built for ${RUNNER_OS:-$(uname -s)} on ${RUNNER_ARCH:-$(uname -m)}" ;;
  esac
fi

# The runner checks an action out at _actions/<owner>/<name>/<ref>.
ref="${TACOS_ACTION_REF:-$(basename "$src")}"
repository="${TACOS_ACTION_REPOSITORY:-$(basename "$(dirname "$(dirname "$src")")")/$(basename "$(dirname "$src")")}"
base="${TACOS_RELEASE_BASE_URL:-${GITHUB_SERVER_URL:-}/$repository/releases/download}"
[[ "$base" =~ ^https?:// ]] || from_source "no release URL known (GITHUB_SERVER_URL is not set)"
base="$base/$tag"

work="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tacos-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The HTTP status of a GET of $1 into $2; 000 when there was no answer.
fetch() {
  curl -sS -L --proto '=https,http' --retry 3 --connect-timeout 20 --max-time 600 \
    -o "$2" -w '%{http_code}' "$1" 2>"$work/curl.err" || true
}
# Fetches $1 into $work/$1: 0 got it; 1 the release has no such asset (404).
asset() {
  local status
  status="$(fetch "$base/$1" "$work/$1")"
  case "$status" in
    200) return 0 ;;
    404) return 1 ;;
    *) fail "downloading $base/$1 failed (HTTP $status: $(head -c 300 "$work/curl.err")); nothing installed" ;;
  esac
}

if [ "$ref" != "$tag" ]; then
  [[ "$ref" =~ ^[0-9a-f]{40}$ ]] || from_source "the Action's ref $ref is not the release tag $tag or a commit"
  asset SOURCE_COMMIT || from_source "$tag has no SOURCE_COMMIT"
  [ "$(head -c 40 "$work/SOURCE_COMMIT")" = "$ref" ] \
    || from_source "commit $ref is not the one $tag was built from"
fi

name="tacos-sbom-$version-$target"
asset SHA256SUMS || from_source "$tag has no SHA256SUMS"
asset "$name.tar.gz" || from_source "$tag has no $name.tar.gz"

# The one line for this tarball, checked by the standard tool: a missing or
# repeated line is a refusal, not a pass.
grep -E "^[0-9a-f]{64}  ${name//./\\.}\\.tar\\.gz$" "$work/SHA256SUMS" > "$work/check" || true
[ "$(wc -l < "$work/check")" -eq 1 ] \
  || fail "$base/SHA256SUMS: no single checksum for $name.tar.gz; nothing installed"
if command -v sha256sum >/dev/null; then
  sum=(sha256sum)
else
  sum=(shasum -a 256)
fi
(cd "$work" && "${sum[@]}" -c check >/dev/null 2>&1) \
  || fail "$base/$name.tar.gz: checksum mismatch against SHA256SUMS (corrupted or tampered download); refusing to install it, nothing installed"
echo "checksum verified: $name.tar.gz"

mkdir "$work/unpacked"
tar -xzf "$work/$name.tar.gz" -C "$work/unpacked" --no-same-owner "$name/tacos-sbom" \
  || fail "$name.tar.gz: no $name/tacos-sbom in it; nothing installed"
mkdir -p "$dest/bin"
cp "$work/unpacked/$name/tacos-sbom" "$dest/bin/tacos-sbom.partial"
chmod 755 "$dest/bin/tacos-sbom.partial"
mv -f "$dest/bin/tacos-sbom.partial" "$dest/bin/tacos-sbom"
output "build-from-source=false"
on_path "$dest/bin"
