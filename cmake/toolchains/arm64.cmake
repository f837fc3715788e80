# CMake toolchain file: 64-bit ARM (Debian arm64: AArch64), Debian's cross compiler.
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm64.cmake \
#         [-DHCL_CROSS_SYSROOT=$PWD/build-arm64/sysroot]
# scripts/cross-build arm64 does all of it. See debian-cross.cmake for how libraries are found.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(HCL_CROSS_TRIPLET aarch64-linux-gnu)
set(HCL_CROSS_QEMU_ARCH aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
