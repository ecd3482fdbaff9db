#!/bin/sh
# Installs a released baker and terraform-provider-roundrobin, by version, each
# checked against its release checksums (and their GPG signatures when a
# public key is given) before anything is unpacked.
#
#   .ci/install-release.sh VERSION
#
# ROUNDROBIN_RELEASES  where releases are published: the files of version V
#                      are under $ROUNDROBIN_RELEASES/vV/ (for GitHub:
#                      https://github.com/OWNER/REPO/releases/download)
# ROUNDROBIN_RELEASE_KEY  optional: a file holding the release signing key
#                      (ASCII armor); the checksums' signature is then verified
# BIN_DIR              where baker goes (default ~/.local/bin)
#
# The provider's zip goes, as published, into Terraform's implied local mirror
# (~/.terraform.d/plugins, packed layout), where a plain `terraform init` finds
# it and records its hash in .terraform.lock.hcl.
set -eu

version=${1:?usage: install-release.sh VERSION}
version=${version#v}
releases=${ROUNDROBIN_RELEASES:?set ROUNDROBIN_RELEASES to the release download base URL}
bin_dir=${BIN_DIR:-$HOME/.local/bin}

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "install-release.sh: no release for $(uname -s)" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "install-release.sh: no release for $(uname -m)" >&2; exit 1 ;;
esac
platform=${os}_${arch}

provider_sums=terraform-provider-roundrobin_${version}_SHA256SUMS
baker_sums=baker_${version}_SHA256SUMS
provider_zip=terraform-provider-roundrobin_${version}_${platform}.zip
baker_archive=baker_${version}_${platform}.tar.gz

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fetch() {
  curl --fail --silent --show-error --location --retry 3 --output "$1" "$releases/v$version/$1"
}
for file in "$provider_sums" "$baker_sums" "$provider_zip" "$baker_archive"; do
  fetch "$file"
done

if [ -n "${ROUNDROBIN_RELEASE_KEY:-}" ]; then
  export GNUPGHOME="$work/gnupg"
  mkdir -m 700 "$GNUPGHOME"
  gpg --batch --quiet --import "$ROUNDROBIN_RELEASE_KEY"
  for sums in "$provider_sums" "$baker_sums"; do
    fetch "$sums.sig"
    gpg --batch --verify "$sums.sig" "$sums"
  done
  gpgconf --kill gpg-agent 2>/dev/null || true
fi

# Exactly the two archives' lines, each of which must match.
{
  grep -E "  $provider_zip\$" "$provider_sums" || true
  grep -E "  $baker_archive\$" "$baker_sums" || true
} > expected.sums
if [ "$(wc -l < expected.sums)" -ne 2 ]; then
  echo "install-release.sh: the checksums do not list $provider_zip and $baker_archive" >&2
  exit 1
fi
if command -v sha256sum >/dev/null; then
  sha256sum -c expected.sums
else
  shasum -a 256 -c expected.sums
fi

mkdir -p "$bin_dir"
tar -xzf "$baker_archive" -C "$bin_dir" baker
mirror=$HOME/.terraform.d/plugins/registry.terraform.io/roundrobin/roundrobin
mkdir -p "$mirror"
cp "$provider_zip" "$mirror/"

"$bin_dir/baker" --version
echo "provider $version ($platform) in $mirror"
