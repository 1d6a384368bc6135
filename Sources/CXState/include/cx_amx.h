/*
 * cx_amx.h - the Intel AMX instructions the xsave suite needs to put tile
 * state (XSAVE components 17 XTILECFG and 18 XTILEDATA) into a known
 * configuration before timing XSAVE/XRSTOR with tile data.
 *
 * Like the rest of the layer (cx_platform.h), every function is `static inline` raw-mnemonic assembly:
 * nothing here needs -mamx-tile to assemble, and nothing here may run
 * unless all of the following hold (the caller checks, in this order):
 *   1. CPUID.(7,0):EDX.AMX-TILE[bit 24] is set;
 *   2. XCR0 bits 17 and 18 are set (the OS enabled tile state);
 *   3. on Linux, arch_prctl(ARCH_REQ_XCOMP_PERM, 18) returned 0 for this
 *      process: without that permission IA32_XFD[18] stays armed and the
 *      first tile instruction raises #NM, which Linux turns into SIGILL.
 * Tile registers are invisible to the compiler, so no clobbers are needed.
 *
 * On a non-x86-64 host every function is an empty stub.
 */
#ifndef CX_AMX_H
#define CX_AMX_H

#include "cx_platform.h"

/** XSAVE component number of AMX tile data: the arch_prctl feature number. */
enum { CX_XFEATURE_XTILEDATA = 18 };

/** Bytes of one tile register at the full palette-1 shape (16 rows x 64 bytes). */
enum { CX_AMX_TILE_BYTES = 1024, CX_AMX_TILE_ROWS = 16, CX_AMX_TILE_COLSB = 64 };

/**
 * The 64-byte LDTILECFG operand (palette 1).  Fields as the SDM defines
 * them: byte 0 palette id, byte 1 start_row, bytes 16..47 colsb[16] (bytes
 * per row, little-endian uint16), bytes 48..63 rows[16].  Reserved bytes
 * must be zero or LDTILECFG raises #GP.  Callers place it 64-byte aligned
 * (the SDM requires no alignment; aligned, it never splits a cache line).
 */
typedef struct cx_amx_tilecfg {
    uint8_t palette_id;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} cx_amx_tilecfg;

/** Fills `cfg` for palette 1 with all eight tiles at 16 rows x 64 bytes. */
static inline void cx_amx_config_full(cx_amx_tilecfg *cfg) {
    uint8_t *p = (uint8_t *)cfg;
    for (int i = 0; i < 64; i++) p[i] = 0;
    cfg->palette_id = 1;
    for (int t = 0; t < 8; t++) {
        cfg->colsb[t] = CX_AMX_TILE_COLSB;
        cfg->rows[t] = CX_AMX_TILE_ROWS;
    }
}

/** LDTILECFG: configures the tiles (XTILECFG leaves its init state).
 *  Preconditions: see the file comment; `cfg` 64-byte aligned and valid. */
static inline void cx_amx_ldtilecfg(const cx_amx_tilecfg *cfg) {
#if CX_X86_64
    __asm__ __volatile__("ldtilecfg (%0)" :: "r"(cfg) : "memory");
#else
    (void)cfg;
#endif
}

/** TILEZERO on tmm0..tmm7.  Preconditions: see the file comment, and tiles
 *  configured by cx_amx_ldtilecfg. */
static inline void cx_amx_tilezero_all(void) {
#if CX_X86_64
    __asm__ __volatile__(
        "tilezero %%tmm0\n\ttilezero %%tmm1\n\ttilezero %%tmm2\n\ttilezero %%tmm3\n\t"
        "tilezero %%tmm4\n\ttilezero %%tmm5\n\ttilezero %%tmm6\n\ttilezero %%tmm7" ::: "memory");
#endif
}

/**
 * TILELOADD of tmm0..tmm7 from `src`, eight consecutive 1 KiB tiles
 * (16 rows of 64 bytes, row stride 64).  Loading non-zero data is what
 * makes XTILEDATA non-init for certain (XINUSE[18]); TILEZERO alone may
 * leave it reading as init.  Preconditions: see the file comment, tiles
 * configured by cx_amx_ldtilecfg, `src` readable for 8 KiB.
 */
static inline void cx_amx_tileload_all(const void *src) {
#if CX_X86_64
    const char *b = (const char *)src;
    const uint64_t stride = CX_AMX_TILE_COLSB;
    __asm__ __volatile__(
        "tileloadd (%0,%1,1), %%tmm0\n\t"
        "tileloadd 1024(%0,%1,1), %%tmm1\n\t"
        "tileloadd 2048(%0,%1,1), %%tmm2\n\t"
        "tileloadd 3072(%0,%1,1), %%tmm3\n\t"
        "tileloadd 4096(%0,%1,1), %%tmm4\n\t"
        "tileloadd 5120(%0,%1,1), %%tmm5\n\t"
        "tileloadd 6144(%0,%1,1), %%tmm6\n\t"
        "tileloadd 7168(%0,%1,1), %%tmm7"
        :: "r"(b), "r"(stride) : "memory");
#else
    (void)src;
#endif
}

/** TILERELEASE: returns XTILECFG and XTILEDATA to their init state, so
 *  later context switches no longer save 8 KiB for this thread.
 *  Preconditions: see the file comment. */
static inline void cx_amx_tilerelease(void) {
#if CX_X86_64
    __asm__ __volatile__("tilerelease" ::: "memory");
#endif
}

#endif /* CX_AMX_H */
