#!/usr/bin/env bash
# Prepare (or reuse) the arm64 Debian 12 (bookworm) sysroot the edge is cross-built against.
#
#   cross/prepare-sysroot.sh            build the sysroot if needed, print its path on stdout
#   cross/prepare-sysroot.sh --print    print the path of a complete sysroot; exit 1 if none
#   cross/prepare-sysroot.sh --force    rebuild it even if a complete one exists
#
# The sysroot is a plain folder of arm64 Debian packages extracted by
# `mmdebstrap --variant=extract` (no maintainer scripts run, nothing arm64 is installed into
# the host system). Its packages are listed in cross/sysroot-packages.txt.
#
# Cache: ${GRIDSIGHT_CACHE_DIR:-$HOME/.cache/gridsight}/sysroot-arm64, a stable path (build
# folders keep working across rebuilds). Its stamp file records a key, a hash of this script
# and the package list; the sysroot is reused when the stamp's key is the current one,
# otherwise it is rebuilt from scratch in a temporary folder that then replaces it.
# cross/aarch64-linux-gnu.cmake computes the same key and refuses an out-of-date sysroot.
# Security updates published after a sysroot was built are only picked up by --force.
#
# Needs root on first use to install the host tools (apt-get) and for mmdebstrap's root mode.
# Environment:
#   GRIDSIGHT_CACHE_DIR              cache folder (default $HOME/.cache/gridsight)
#   GRIDSIGHT_DEBIAN_MIRROR          default http://deb.debian.org/debian
#   GRIDSIGHT_DEBIAN_SECURITY_MIRROR default http://deb.debian.org/debian-security
set -euo pipefail

readonly SUITE=bookworm
readonly ARCH=arm64
readonly TRIPLET=aarch64-linux-gnu
readonly STAMP_NAME=.gridsight-sysroot-complete
readonly KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# Host tools of the arm64 build: the sysroot builder, the cross compiler (gcc 12, as
# bookworm's libstdc++), the user-mode emulator that runs arm64 test binaries, and the
# build tools cross/aarch64-linux-gnu.cmake and the arm64 preset use (ccache: see
# scripts/cross-test.sh).
readonly HOST_TOOLS=(mmdebstrap g++-aarch64-linux-gnu qemu-user cmake ninja-build pkg-config ccache)

self="$(readlink -f "${BASH_SOURCE[0]}")"
here="$(dirname "$self")"
pkg_file="$here/sysroot-packages.txt"

log() { echo "prepare-sysroot: $*" >&2; }
die() { log "error: $*"; exit 1; }

# No maintainer script runs in an extracted sysroot, so links that postinst scripts make with
# `update-alternatives --install LINK NAME PATH PRIORITY [--slave LINK NAME PATH]...` are
# missing; libopencv_core needs two of them (libblas.so.3 and liblapack.so.3 in
# /usr/lib/<triplet>, pointing into blas/ and lapack/). Make those links from the packages'
# postinst scripts, choosing the highest priority per alternative, as dpkg would.
apply_alternatives() {
    local root="$1" list="$1/tmp/gridsight-alternatives" deb link name path _prio
    shift
    for deb in "$@"; do
        dpkg-deb --info "$deb" postinst 2>/dev/null || true
    done | awk '
        # Join continuation lines, then print "name priority link path" per link.
        /\\$/ { sub(/\\$/, ""); buf = buf $0 " "; next }
        { line = buf $0; buf = "" }
        line ~ /update-alternatives[ \t]+--install/ {
            n = split(line, w, /[ \t]+/)
            for (i = 1; i <= n && w[i] != "--install"; i++) ;
            prio = w[i + 4]
            print w[i + 2], prio, w[i + 1], w[i + 3]
            for (; i <= n; i++) if (w[i] == "--slave") print w[i + 2], prio, w[i + 1], w[i + 3]
        }' | sort -k1,1 -k2,2nr > "$list"
    # Highest priority first within each name: keep the first line of each.
    while read -r name _prio link path; do
        if [[ "$link$path" == *'$'* ]]; then
            log "skipping alternative $name: unexpanded variable ($link -> $path)"
        elif [[ -e "$root$path" && ! -e "$root$link" && ! -L "$root$link" ]]; then
            mkdir -p "$(dirname "$root$link")"
            ln -s "$(realpath -s -m --relative-to="$(dirname "$root$link")" "$root$path")" \
                "$root$link"
            log "alternative $name: $link -> $path"
        fi
    done < <(awk '!seen[$1]++' "$list")
    rm -f "$list"
}

# Runs inside mmdebstrap (--extract-hook) after the resolved packages were extracted into
# $1 and before apt's lists and cache are cleaned: extracts the "nodeps" packages
# ($GRIDSIGHT_NODEPS) without their dependencies, using the arm64 apt configuration
# mmdebstrap wrote, makes the alternatives links, and records the exact package versions.
extract_hook() {
    local root="$1" archives="$1/var/cache/apt/archives" dl="$1/tmp/gridsight-nodeps" f
    shopt -s nullglob
    mkdir -p "$dl"
    if [[ -n "${GRIDSIGHT_NODEPS:-}" ]]; then
        # apt drops privileges to _apt for downloads when it can; let it write here.
        chmod 0777 "$dl"
        # shellcheck disable=SC2086  # word splitting of the package list is intended
        (cd "$dl" && APT_CONFIG="$MMDEBSTRAP_APT_CONFIG" apt-get download -q $GRIDSIGHT_NODEPS)
        for f in "$dl"/*.deb; do
            dpkg-deb --extract "$f" "$root"
        done
    fi
    apply_alternatives "$root" "$archives"/*.deb "$dl"/*.deb
    {
        (cd "$archives" && ls -1 -- *.deb)
        (cd "$dl" && find . -name '*.deb' -printf '%f nodeps\n' | sort)
    } > "$root/.gridsight-packages"
    rm -rf "$dl"
}

# Installs the host tools that are missing (idempotent: no apt call when all are present).
ensure_host_tools() {
    local missing=() pkg
    for pkg in "${HOST_TOOLS[@]}"; do
        dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' \
            || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    [[ $EUID -eq 0 ]] || die "missing host packages (${missing[*]}); install them as root"
    log "installing host tools: ${missing[*]}"
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" >&2
}

# Absolute symlinks (libm.so -> /lib/aarch64-linux-gnu/libm.so.6) would point into the
# host when the linker follows them: rewrite each as a link relative to its own folder.
relativize_symlinks() {
    local root="$1" link target
    while IFS= read -r -d '' link; do
        target="$(readlink "$link")"
        ln -sfn "$(realpath -s -m --relative-to="$(dirname "$link")" "$root$target")" "$link"
    done < <(find "$root" -type l -lname '/*' -print0)
}

# Some exported CMake target files hard-code the install prefix (libjpeg-turbo:
# set(_IMPORT_PREFIX "/usr") and IMPORTED_LOCATION "/usr/lib/..."), which would point a
# cross build at the host's headers and libraries: make them relative to CMAKE_SYSROOT.
# (The "/usr move" checks with _realOrig are left alone: they never match in a sysroot.)
fix_cmake_prefixes() {
    local root="$1" f
    while IFS= read -r -d '' f; do
        if grep -qE 'set\(_IMPORT_PREFIX "/usr"\)|(IMPORTED_LOCATION[A-Z_]*|_cmake_import_check_files_for_[^ ]+) "/usr/' "$f"; then
            log "rebasing absolute /usr paths on CMAKE_SYSROOT in ${f#"$root"}"
            # shellcheck disable=SC2016  # ${CMAKE_SYSROOT} is for CMake, not the shell
            sed -i -E \
                -e 's#set\(_IMPORT_PREFIX "/usr"\)#set(_IMPORT_PREFIX "${CMAKE_SYSROOT}/usr")#' \
                -e 's#((IMPORTED_LOCATION[A-Z_]*|_cmake_import_check_files_for_[^ ]+) )"/usr/#\1"${CMAKE_SYSROOT}/usr/#' \
                "$f"
        fi
    done < <(find "$root/usr/lib/$TRIPLET/cmake" "$root/usr/share/cmake" "$root/usr/lib/cmake" \
                  -name '*.cmake' -print0 2>/dev/null)
}

# Only some OpenCV modules are in the sysroot, but libopencv-dev's CMake config, opencv4.pc
# and opencv_modules.hpp describe all 55 modules, and the config fails on the first missing
# library. Trim the three files to the modules whose library is present, so that
# find_package(OpenCV COMPONENTS ...), ${OpenCV_LIBS} and <opencv2/opencv.hpp> work and
# asking for an absent module (highgui...) fails at configure or compile time.
trim_opencv() {
    local root="$1" cmakedir="$1/usr/lib/$TRIPLET/cmake/opencv4" present f m
    present="$(find "$root/usr/lib/$TRIPLET" -maxdepth 1 -name 'libopencv_*.so.*.*.*' \
                 -printf '%f\n' | sed -E 's/^lib(opencv_[a-z0-9_]+)\.so\..*/\1/' | sort -u)"
    [[ -n "$present" ]] || die "no OpenCV library in the sysroot"
    log "OpenCV modules in the sysroot: ${present//$'\n'/ }"

    # OpenCVModules-release.cmake: drop the "# Import target ..." blocks of absent modules.
    # Their targets stay declared (OpenCVModules.cmake) but have no location, so linking
    # one is a generate-time error naming it.
    f="$cmakedir/OpenCVModules-release.cmake"
    awk -v present="$present" '
        BEGIN { n = split(present, p, "\n"); for (i = 1; i <= n; i++) keep[p[i]] = 1; skip = 0 }
        /^# Import target "/ { t = $0; sub(/^# Import target "/, "", t); sub(/".*/, "", t); skip = !(t in keep) }
        /^# Commands beyond this point/ { skip = 0 }
        !skip { print }' "$f" > "$f.new"
    mv "$f.new" "$f"

    # OpenCVConfig.cmake: the list of available components.
    f="$cmakedir/OpenCVConfig.cmake"
    grep -q '^set(OpenCV_LIB_COMPONENTS ' "$f" || die "unexpected OpenCVConfig.cmake layout"
    awk -v present="$present" '
        BEGIN { n = split(present, p, "\n"); for (i = 1; i <= n; i++) keep[p[i]] = 1 }
        /^set\(OpenCV_LIB_COMPONENTS / {
            s = $0; sub(/^set\(OpenCV_LIB_COMPONENTS /, "", s); sub(/\)$/, "", s)
            m = split(s, c, ";"); out = ""
            for (i = 1; i <= m; i++) if (c[i] in keep) out = out (out == "" ? "" : ";") c[i]
            print "set(OpenCV_LIB_COMPONENTS " out ")"; next }
        { print }' "$f" > "$f.new"
    mv "$f.new" "$f"

    # opencv4.pc: keep the -l flags of present modules.
    f="$root/usr/lib/$TRIPLET/pkgconfig/opencv4.pc"
    grep '^Libs:' "$f" | grep -oE -- '-lopencv_[a-z0-9_]+' | sed 's/^-l//' | while read -r m; do
        grep -qx "$m" <<< "$present" || sed -i -E "/^Libs:/s/ -l$m( |\$)/\\1/" "$f"
    done

    # opencv_modules.hpp: HAVE_OPENCV_<MODULE> of present modules only (opencv.hpp uses it).
    f="$root/usr/include/opencv4/opencv2/opencv_modules.hpp"
    grep -oE '^#define HAVE_OPENCV_[A-Z0-9_]+' "$f" | sed 's/^#define HAVE_//' | while read -r m; do
        grep -qix "$m" <<< "$present" || sed -i "/^#define HAVE_$m\$/d" "$f"
    done
}

# Files the edge's build relies on; a sysroot without one of them is not marked complete.
check_sysroot() {
    local root="$1" f incomplete=0
    for f in \
        lib/ld-linux-aarch64.so.1 \
        usr/lib/$TRIPLET/libc.so usr/lib/gcc/$TRIPLET/12/libstdc++.so \
        usr/include/c++/12/vector \
        usr/lib/$TRIPLET/libavformat.so usr/lib/$TRIPLET/libavcodec.so \
        usr/lib/$TRIPLET/libavutil.so usr/lib/$TRIPLET/libswscale.so \
        usr/lib/$TRIPLET/cmake/opencv4/OpenCVConfig.cmake \
        usr/include/opencv4/opencv2/objdetect.hpp usr/include/opencv4/opencv2/dnn.hpp \
        usr/include/opencv4/opencv2/video.hpp usr/lib/$TRIPLET/libopencv_objdetect.so \
        usr/lib/$TRIPLET/cmake/PahoMqttCpp/PahoMqttCppConfig.cmake \
        usr/lib/$TRIPLET/libpaho-mqttpp3.so usr/lib/$TRIPLET/libssl.so \
        usr/lib/$TRIPLET/libsqlite3.so usr/include/boost/version.hpp \
        usr/include/nlohmann/json.hpp usr/lib/$TRIPLET/libyaml-cpp.so \
        usr/lib/$TRIPLET/libspdlog.so usr/lib/$TRIPLET/libfmt.so usr/include/CLI/CLI.hpp \
        usr/lib/$TRIPLET/libturbojpeg.so usr/lib/$TRIPLET/libsystemd.so \
        usr/lib/$TRIPLET/cmake/GTest/GTestConfig.cmake usr/lib/$TRIPLET/libgmock.a \
        usr/lib/$TRIPLET/libblas.so.3 usr/lib/$TRIPLET/liblapack.so.3
    do
        if [[ ! -e "$root/$f" ]]; then log "missing in sysroot: /$f"; incomplete=1; fi
    done
    ((incomplete == 0)) || die "incomplete sysroot (see above)"
}

# True if the sysroot is complete (stamp written last) and was built for this key.
is_current() {
    [[ -f "$1/$STAMP_NAME" ]] && grep -qx "key=$2" "$1/$STAMP_NAME"
}

main() {
    local mode=build
    case "${1:-}" in
        "") ;;
        --print) mode=print ;;
        --force) mode=force ;;
        --extract-hook) extract_hook "$2"; return ;;  # internal, called by mmdebstrap
        -h|--help) sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//'; return ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac

    local cache_dir="${GRIDSIGHT_CACHE_DIR:-$HOME/.cache/gridsight}"
    # The key: first 16 hex digits of sha256(this script + package list).
    local key sysroot
    key="$(cat "$self" "$pkg_file" | sha256sum | cut -c1-16)"
    sysroot="$cache_dir/sysroot-$ARCH"

    if [[ $mode == print ]]; then
        is_current "$sysroot" "$key" || die "no up-to-date sysroot at $sysroot"
        echo "$sysroot"; return
    fi

    mkdir -p "$cache_dir"
    # One preparation at a time per cache folder (others wait, then reuse the result).
    exec 9> "$cache_dir/sysroot-$ARCH.lock"
    flock 9

    if [[ $mode == build ]] && is_current "$sysroot" "$key"; then
        log "reusing $sysroot"
        echo "$sysroot"; return
    fi

    local start=$SECONDS
    ensure_host_tools

    # Package list: "name" lines are resolved with their dependencies, "name nodeps" not.
    local with_deps=() nodeps=() name flag
    while read -r name flag _; do
        [[ -z "$name" || $name == \#* ]] && continue
        case "${flag:-}" in
            "") with_deps+=("$name") ;;
            nodeps) nodeps+=("$name") ;;
            *) die "$pkg_file: unknown flag '$flag' for $name" ;;
        esac
    done < "$pkg_file"

    local tmp="$sysroot.tmp.$$"
    rm -rf "$tmp"
    trap 'rm -rf "$tmp"' EXIT
    log "building $sysroot (${#with_deps[@]} packages with dependencies, ${#nodeps[@]} without)"

    local mirror="${GRIDSIGHT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
    local security="${GRIDSIGHT_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
    local include
    include="$(IFS=,; echo "${with_deps[*]}")"
    # The hook's $1 and $GRIDSIGHT_SELF expand in the sh that mmdebstrap runs it with.
    # shellcheck disable=SC2016,SC2034
    GRIDSIGHT_NODEPS="${nodeps[*]}" GRIDSIGHT_SELF="$self" \
    mmdebstrap --variant=extract --architectures="$ARCH" --include="$include" \
        --aptopt='Acquire::Languages "none"' --aptopt='Acquire::Retries "3"' \
        --extract-hook='"$GRIDSIGHT_SELF" --extract-hook "$1"' \
        "$SUITE" "$tmp" \
        "deb [signed-by=$KEYRING] $mirror $SUITE main" \
        "deb [signed-by=$KEYRING] $mirror $SUITE-updates main" \
        "deb [signed-by=$KEYRING] $security $SUITE-security main" >&2

    # Post-processing: documentation is not needed to build; the rest makes the folder
    # usable as a sysroot.
    rm -rf "$tmp"/usr/share/{doc,man,info,locale,lintian,bug}
    relativize_symlinks "$tmp"
    fix_cmake_prefixes "$tmp"
    trim_opencv "$tmp"
    check_sysroot "$tmp"

    local size_mb npkg
    size_mb="$(du -sm "$tmp" | cut -f1)"
    npkg="$(wc -l < "$tmp/.gridsight-packages")"
    printf 'key=%s\nsuite=%s\narch=%s\npackages=%s\nsize_mb=%s\nseconds=%s\ncreated=%s\n' \
        "$key" "$SUITE" "$ARCH" "$npkg" "$size_mb" "$((SECONDS - start))" \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$tmp/$STAMP_NAME"
    # Replace the previous sysroot, if any; remove leftovers of interrupted runs.
    if [[ -e "$sysroot" ]]; then mv "$sysroot" "$sysroot.old.$$"; fi
    mv "$tmp" "$sysroot"
    trap - EXIT
    find "$cache_dir" -mindepth 1 -maxdepth 1 \
        \( -name "sysroot-$ARCH.old.*" -o -name "sysroot-$ARCH.tmp.*" \) -exec rm -rf {} +

    log "sysroot ready in $((SECONDS - start)) s: $npkg packages, $size_mb MB"
    echo "$sysroot"
}

main "$@"
