#!/usr/bin/env bash
# Builds mltrack_<version>_<arch>.deb into $OUT (default: the repository root): a release
# build installed into a staging root by meson, the man page made from --help, the systemd
# unit and /etc/default/mltrack, the shared-library dependencies found by dpkg-shlibdeps.
#   packaging/deb/build.sh [OUT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo}
build=$repo/build-deb
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

[ -f "$build/build.ninja" ] || meson setup "$build" "$repo" --buildtype=release --prefix=/usr >/dev/null
ninja -C "$build" server/mltrack >/dev/null
DESTDIR="$stage/root" meson install -C "$build" --no-rebuild --quiet >/dev/null
bin=$stage/root/usr/bin/mltrack
[ -x "$bin" ] || { echo "build.sh: meson install did not put mltrack in /usr/bin" >&2; exit 1; }
version=$("$bin" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)

root=$stage/root
install -D -m 0644 "$here/mltrack.service" "$root/lib/systemd/system/mltrack.service"
install -D -m 0644 "$here/default" "$root/etc/default/mltrack"
install -d "$root/usr/share/man/man1" "$root/usr/share/doc/mltrack"
python3 "$here/manpage.py" "$bin" "$version" | gzip -9n > "$root/usr/share/man/man1/mltrack.1.gz"
install -m 0644 "$repo/README.md" "$root/usr/share/doc/mltrack/README.md"
gzip -9n "$root/usr/share/doc/mltrack/README.md"

# dpkg-shlibdeps wants a debian/control beside it.
mkdir -p "$stage/src/debian"
printf 'Source: mltrack\n\nPackage: mltrack\nArchitecture: any\n' > "$stage/src/debian/control"
deps=$(cd "$stage/src" && dpkg-shlibdeps -O "$bin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { echo "build.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

install -d "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: mltrack
Version: $version
Architecture: $arch
Maintainer: mltrack developers <maintainers@mltrack.invalid>
Installed-Size: $size
Depends: $deps, adduser
Suggests: libpq5, libcurl4
Section: science
Priority: optional
Homepage: https://github.com/mltrack/mltrack
Description: MLflow-compatible tracking server and model registry in C
 Speaks MLflow's REST API so the unmodified mlflow client works against it:
 experiments, runs, metrics, artifacts, the model registry and basic-auth access
 control, on SQLite or PostgreSQL (libpq, loaded when a PostgreSQL URI is used),
 with a web UI in the same binary. The package runs it as the mltrack service.
CONTROL
echo /etc/default/mltrack > "$root/DEBIAN/conffiles"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"

deb=$out/mltrack_${version}_${arch}.deb
dpkg-deb --build --root-owner-group "$root" "$deb" >/dev/null
echo "$deb"
