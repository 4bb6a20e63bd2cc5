#!/usr/bin/env bash
# Makes this machine able to build PruneSharp and run TorchSharp (libtorch 2.10).
#
# libtorch 2.10 is linked against libstdc++ from GCC 13+ (it needs the symbol version
# GLIBCXX_3.4.32). Debian 12 ships GCC 12's libstdc++ (up to GLIBCXX_3.4.30), so there
# TorchSharp fails with DllNotFoundException for LibTorchSharp. On Debian 12 this script adds
# Debian 13 ("trixie") as an apt source pinned at priority 100 -- nothing else is taken from
# it unless asked for -- and installs trixie's libstdc++6 (which also upgrades libc6).
#
# Idempotent: where the symbol is already present (Ubuntu 24.04+, Debian 13+, or a second run)
# it changes nothing. On a system it cannot fix it stops with a message saying what is needed.
#
# It also installs Fashion-MNIST for samples/FashionMnist and its tests: the Debian/Ubuntu package
# dataset-fashion-mnist (IDX files in /usr/share/datasets/fashion-mnist), only when it is missing.
set -euo pipefail

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

required_glibcxx=GLIBCXX_3.4.32

command -v dotnet >/dev/null 2>&1 || die "the .NET SDK is not on PATH; install the .NET 10 SDK (https://dotnet.microsoft.com/download) and run this again."
sdk_major=$(dotnet --version 2>/dev/null | cut -d. -f1)
[ "${sdk_major:-0}" -ge 10 ] || die "the .NET SDK on PATH is $(dotnet --version 2>/dev/null || echo unknown); PruneSharp needs the .NET 10 SDK."

find_libstdcxx() {
    local path
    path=$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64|libstdc\+\+\.so\.6 .*AArch64/ {print $NF; exit}')
    [ -n "$path" ] || path=$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 / {print $NF; exit}')
    printf '%s' "$path"
}

has_required_glibcxx() {
    local lib
    lib=$(find_libstdcxx)
    [ -n "$lib" ] && [ -r "$lib" ] && grep -aq "$required_glibcxx" "$lib"
}

fashion_mnist_dir=/usr/share/datasets/fashion-mnist

ensure_fashion_mnist() {
    if dpkg-query -W -f='${Status}' dataset-fashion-mnist 2>/dev/null | grep -q "install ok installed"; then
        return 0
    fi
    if [ -r "$fashion_mnist_dir/train-images-idx3-ubyte.gz" ]; then
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || die "Fashion-MNIST is not in $fashion_mnist_dir and there is no apt-get to install the package dataset-fashion-mnist; put the four IDX files there (or pass --data DIR to the sample)."
    local sudo_prefix=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "installing dataset-fashion-mnist needs root; run this script as root or install sudo."
        sudo_prefix=(sudo)
    fi
    say "installing Fashion-MNIST (Debian package dataset-fashion-mnist) into $fashion_mnist_dir."
    export DEBIAN_FRONTEND=noninteractive
    if ! "${sudo_prefix[@]}" apt-get install -y -q -o Dpkg::Use-Pty=0 dataset-fashion-mnist >/dev/null 2>&1; then
        "${sudo_prefix[@]}" apt-get update -q -o Dpkg::Use-Pty=0 >/dev/null
        "${sudo_prefix[@]}" apt-get install -y -q -o Dpkg::Use-Pty=0 dataset-fashion-mnist >/dev/null
    fi
    [ -r "$fashion_mnist_dir/train-images-idx3-ubyte.gz" ] || die "dataset-fashion-mnist was installed, but $fashion_mnist_dir/train-images-idx3-ubyte.gz is not there."
}

if has_required_glibcxx; then
    say "libstdc++ provides $required_glibcxx: nothing to do."
    ensure_fashion_mnist
    exit 0
fi

. /etc/os-release 2>/dev/null || die "cannot read /etc/os-release; install libstdc++ from GCC 13 or newer (it must provide $required_glibcxx) and run this again."
if [ "${ID:-}" != "debian" ] || [ "${VERSION_CODENAME:-}" != "bookworm" ]; then
    die "libstdc++ on ${PRETTY_NAME:-this system} lacks $required_glibcxx, which libtorch 2.10 needs, and this script only knows how to fix Debian 12. Install libstdc++ from GCC 13 or newer (Ubuntu 24.04+ and Debian 13+ have it) and run this again."
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo_cmd=()
elif command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
else
    die "installing libstdc++ from Debian 13 needs root; run this script as root or install sudo."
fi

say "Debian 12 ships libstdc++ without $required_glibcxx; installing libstdc++6 from Debian 13 (trixie), pinned at priority 100."
if [ ! -f /etc/apt/sources.list.d/prunesharp-trixie.sources ]; then
    "${sudo_cmd[@]}" tee /etc/apt/sources.list.d/prunesharp-trixie.sources >/dev/null <<'SOURCES'
# Added by PruneSharp's eng/setup.sh: libtorch 2.10 needs libstdc++ from GCC 13+.
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi
if [ ! -f /etc/apt/preferences.d/prunesharp-trixie.pref ]; then
    "${sudo_cmd[@]}" tee /etc/apt/preferences.d/prunesharp-trixie.pref >/dev/null <<'PREFS'
# Added by PruneSharp's eng/setup.sh: take packages from trixie only when asked for with -t trixie.
Package: *
Pin: release n=trixie
Pin-Priority: 100
PREFS
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q -o Dpkg::Use-Pty=0 >/dev/null
"${sudo_cmd[@]}" apt-get install -y -q -o Dpkg::Use-Pty=0 -t trixie libstdc++6 >/dev/null

has_required_glibcxx || die "libstdc++6 from trixie was installed, but $(find_libstdcxx) still lacks $required_glibcxx."
say "libstdc++ now provides $required_glibcxx."
ensure_fashion_mnist
