# CMake toolchain file: 32-bit ARM (Debian armhf: ARMv7, hard float), Debian's cross compiler.
#   cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/armhf.cmake \
#         [-DHCL_CROSS_SYSROOT=$PWD/build-armhf/sysroot]
# scripts/cross-build armhf does all of it. See debian-cross.cmake for how libraries are found.
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(HCL_CROSS_TRIPLET arm-linux-gnueabihf)
set(HCL_CROSS_QEMU_ARCH arm)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
