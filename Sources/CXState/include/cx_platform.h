/*
 * cx_platform.h - the one platform check of the instruction layer.
 *
 * Every other header of CXState includes this one and tests CX_X86_64 (the
 * instructions are real) or CX_LINUX (the system calls are real); nothing
 * else in the layer tests a compiler macro.  Off x86-64 every instruction
 * function compiles to a stub returning zero (or its input), and off Linux
 * every system-call wrapper returns -ENOSYS, so the package builds
 * everywhere; the CLI refuses to run suites on such a host.
 *
 * Conventions of the whole layer: every instruction function is
 * `static inline`, so that Swift (through the Clang importer) inlines it
 * into release builds: a timed loop must contain the instruction, not a
 * call to it.  Inline assembly is written as raw mnemonics, so no -m flag
 * or target attribute is needed to *assemble* AVX, AVX-512, XSAVE or AMX;
 * whether it may *run* is the caller's business: every instruction beyond
 * baseline x86-64 must be gated on its CPUID bit (and XCR0, and for AMX the
 * Linux permission) first.
 */
#ifndef CX_PLATFORM_H
#define CX_PLATFORM_H

#include <stdint.h>

#if defined(__x86_64__)
#define CX_X86_64 1
#else
#define CX_X86_64 0
#endif

#if defined(__linux__)
#define CX_LINUX 1
#else
#define CX_LINUX 0
#endif

/** 1 when compiled for x86-64 (the instructions are real), else 0. */
static inline int cx_is_x86_64(void) { return CX_X86_64; }

#endif /* CX_PLATFORM_H */
