# Shared part of the Debian cross toolchain files (armhf.cmake, arm64.cmake, armel.cmake). Those set
# HCL_CROSS_TRIPLET and CMAKE_SYSTEM_PROCESSOR, then include this file.
#
# The compiler is Debian's cross g++ (crossbuild-essential-<arch>). The target's libraries come
# from Debian's multiarch packages of that architecture, found in either or both of
#   - the host's multiarch directories (/usr/lib/<triplet>, packages installed with dpkg as
#     libfoo-dev:<arch>), and
#   - HCL_CROSS_SYSROOT: a directory the same packages were unpacked into (scripts/cross-build
#     makes build-<arch>/sysroot, without installing anything of that architecture on the host).
# Architecture-independent headers and CMake packages (nlohmann-json3-dev, libcli11-dev) come from
# the host's /usr.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_CXX_COMPILER ${HCL_CROSS_TRIPLET}-g++)
set(CMAKE_C_COMPILER ${HCL_CROSS_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${HCL_CROSS_TRIPLET})

if(NOT DEFINED HCL_CROSS_SYSROOT AND DEFINED ENV{HCL_CROSS_SYSROOT})
  set(HCL_CROSS_SYSROOT "$ENV{HCL_CROSS_SYSROOT}")
endif()
set(HCL_CROSS_SYSROOT "${HCL_CROSS_SYSROOT}" CACHE PATH
    "Directory the target architecture's Debian packages were unpacked into (optional)")
# try_compile projects do not see the cache: pass the variables on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES HCL_CROSS_TRIPLET HCL_CROSS_SYSROOT)

# Search roots, in order: the cross compiler's own tree (/usr/<triplet>: libc, libstdc++), the
# unpacked packages, then the host's / (its /usr/lib/<triplet> holds multiarch packages; its
# /usr/include and /usr/share/cmake the architecture-independent ones). Programs (the tools run
# during the build) come from the host only; libraries, headers and packages from the roots only,
# so nothing of the host's own architecture (/usr/lib/x86_64-linux-gnu) is ever picked up.
set(CMAKE_FIND_ROOT_PATH /usr/${HCL_CROSS_TRIPLET})
if(HCL_CROSS_SYSROOT)
  list(APPEND CMAKE_FIND_ROOT_PATH "${HCL_CROSS_SYSROOT}")
endif()
list(APPEND CMAKE_FIND_ROOT_PATH /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads only the target's .pc files: the sysroot's when there is one (their
# paths then get its prefix), else the host's multiarch ones.
if(HCL_CROSS_SYSROOT)
  set(ENV{PKG_CONFIG_LIBDIR}
      "${HCL_CROSS_SYSROOT}/usr/lib/${HCL_CROSS_TRIPLET}/pkgconfig:${HCL_CROSS_SYSROOT}/usr/share/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${HCL_CROSS_SYSROOT}")
else()
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${HCL_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
  unset(ENV{PKG_CONFIG_SYSROOT_DIR})
endif()
unset(ENV{PKG_CONFIG_PATH})

# Linking against a shared library makes ld look for the libraries *it* needs: tell it where
# they are in the sysroot.
if(HCL_CROSS_SYSROOT)
  set(CMAKE_EXE_LINKER_FLAGS_INIT
      "-Wl,-rpath-link,${HCL_CROSS_SYSROOT}/usr/lib/${HCL_CROSS_TRIPLET}:${HCL_CROSS_SYSROOT}/lib/${HCL_CROSS_TRIPLET}")
  set(CMAKE_SHARED_LINKER_FLAGS_INIT "${CMAKE_EXE_LINKER_FLAGS_INIT}")
endif()

# Running a target binary during the build (nothing does today) goes through qemu-user.
find_program(HCL_CROSS_QEMU qemu-${HCL_CROSS_QEMU_ARCH}-static qemu-${HCL_CROSS_QEMU_ARCH})
if(HCL_CROSS_QEMU)
  if(HCL_CROSS_SYSROOT)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${HCL_CROSS_QEMU} -L ${HCL_CROSS_SYSROOT})
  else()
    set(CMAKE_CROSSCOMPILING_EMULATOR ${HCL_CROSS_QEMU} -L /usr/${HCL_CROSS_TRIPLET})
  endif()
endif()

# 32-bit ARM: g++ notes every function whose parameter passing changed in GCC 7.1 (an ABI note
# about mixing objects built before and after it; everything here is built with g++ 12). They
# are notes, not warnings, hundreds of lines per build: left out.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm")
  string(APPEND CMAKE_CXX_FLAGS_INIT " -Wno-psabi")
endif()
