# CMake toolchain file: cross-build for arm64 (aarch64) Debian 12 boxes.
#
# Compilers: Debian's aarch64-linux-gnu-gcc/g++ 12 (package g++-aarch64-linux-gnu), the same
# gcc 12 as bookworm's libstdc++. Libraries and headers: the arm64 sysroot built by
# cross/prepare-sysroot.sh. Test binaries run under qemu-aarch64 (package qemu-user) through
# CMAKE_CROSSCOMPILING_EMULATOR, so ctest and gtest_discover_tests work unchanged.
#
# Sysroot location, first that is set: -DGRIDSIGHT_SYSROOT=<dir>, the environment variable
# GRIDSIGHT_SYSROOT, or where prepare-sysroot.sh puts it:
# ${GRIDSIGHT_CACHE_DIR:-$HOME/.cache/gridsight}/sysroot-arm64.
# Usage: cross/prepare-sysroot.sh && cmake --preset arm64  (see docs/arm64.md)

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# --- Sysroot ------------------------------------------------------------------------------
if(NOT GRIDSIGHT_SYSROOT)
  if(DEFINED ENV{GRIDSIGHT_SYSROOT} AND NOT "$ENV{GRIDSIGHT_SYSROOT}" STREQUAL "")
    set(GRIDSIGHT_SYSROOT "$ENV{GRIDSIGHT_SYSROOT}")
  elseif(DEFINED ENV{GRIDSIGHT_CACHE_DIR} AND NOT "$ENV{GRIDSIGHT_CACHE_DIR}" STREQUAL "")
    set(GRIDSIGHT_SYSROOT "$ENV{GRIDSIGHT_CACHE_DIR}/sysroot-arm64")
  else()
    set(GRIDSIGHT_SYSROOT "$ENV{HOME}/.cache/gridsight/sysroot-arm64")
  endif()
endif()
set(GRIDSIGHT_SYSROOT "${GRIDSIGHT_SYSROOT}" CACHE PATH "arm64 sysroot (cross/prepare-sysroot.sh)")

# The sysroot must be complete and built from the current package list: its stamp holds the
# key prepare-sysroot.sh computed, the first 16 hex digits of
# sha256(prepare-sysroot.sh + sysroot-packages.txt), i.e. `cat ... | sha256sum`.
file(READ "${CMAKE_CURRENT_LIST_DIR}/prepare-sysroot.sh" _gs_script)
file(READ "${CMAKE_CURRENT_LIST_DIR}/sysroot-packages.txt" _gs_packages)
string(SHA256 _gs_key "${_gs_script}${_gs_packages}")
string(SUBSTRING "${_gs_key}" 0 16 _gs_key)
unset(_gs_script)
unset(_gs_packages)
set(_gs_stamp "${GRIDSIGHT_SYSROOT}/.gridsight-sysroot-complete")
if(NOT EXISTS "${_gs_stamp}")
  message(FATAL_ERROR "No complete arm64 sysroot at ${GRIDSIGHT_SYSROOT}.\n"
    "Prepare it with: cross/prepare-sysroot.sh")
endif()
file(STRINGS "${_gs_stamp}" _gs_stamp_key REGEX "^key=")
if(NOT _gs_stamp_key STREQUAL "key=${_gs_key}")
  message(FATAL_ERROR "The arm64 sysroot at ${GRIDSIGHT_SYSROOT} was built from another "
    "package list or script (${_gs_stamp_key}, expected key=${_gs_key}).\n"
    "Update it with: cross/prepare-sysroot.sh")
endif()
set(CMAKE_SYSROOT "${GRIDSIGHT_SYSROOT}")
# try_compile() projects (compiler checks, FindThreads...) read this file again: pass the
# location on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES GRIDSIGHT_SYSROOT)

# --- Compilers ----------------------------------------------------------------------------
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# --- Where find_* look --------------------------------------------------------------------
# Programs (pkg-config, protoc...) from the host; libraries, headers and CMake package
# configs only from the sysroot, never from the host's amd64 /usr.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The host's pkg-config reads only the sysroot's .pc files and prefixes the paths it
# prints with the sysroot.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CMAKE_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
  "${CMAKE_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${CMAKE_SYSROOT}/usr/lib/pkgconfig:${CMAKE_SYSROOT}/usr/share/pkgconfig")
unset(ENV{PKG_CONFIG_PATH})

# --- Running arm64 binaries ---------------------------------------------------------------
# qemu-aarch64 -L <sysroot>: the arm64 dynamic loader and libraries come from the sysroot.
find_program(GRIDSIGHT_QEMU_AARCH64 qemu-aarch64)
if(NOT GRIDSIGHT_QEMU_AARCH64)
  message(FATAL_ERROR "qemu-aarch64 not found (Debian package qemu-user)")
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR "${GRIDSIGHT_QEMU_AARCH64};-L;${CMAKE_SYSROOT}")
