# CMake toolchain file: every 32-bit Raspberry Pi, the Pi Zero and Pi 1 (ARMv6) included.
#   cmake -S . -B build-armel -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/armel.cmake \
#         [-DHCL_CROSS_SYSROOT=$PWD/build-armel/sysroot]
# scripts/cross-build armel does all of it. See debian-cross.cmake for how libraries are found.
#
# Debian's armhf starts at ARMv7 (its libc and libstdc++.a too), so its binary dies on a Pi Zero
# with "Illegal instruction". Debian's armel is ARMv5TE with the soft-float calling convention:
# code every ARMv6 and later core runs. Linked fully static, the binary does not care which float
# ABI the board's own libraries use, so the same file runs on Raspberry Pi OS 32-bit (ARMv6,
# armhf), on Debian armhf and on armel. -march=armv6 is not used: Debian's armel libstdc++.a is
# built for ARMv5TE and needs its out-of-line atomics (std::future), which a v6 build of hcl
# would not link against.
set(CMAKE_SYSTEM_PROCESSOR armv6l)
set(HCL_CROSS_TRIPLET arm-linux-gnueabi)
set(HCL_CROSS_QEMU_ARCH arm)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
# After debian-cross.cmake, which sets the linker flags' start.
string(APPEND CMAKE_EXE_LINKER_FLAGS_INIT " -static")
