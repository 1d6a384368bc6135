/* The guest blob's bounds and entry table, from ckvm_guest.S. */
#include "ckvm_guest.h"

#if defined(__x86_64__) && defined(__linux__)
extern const uint8_t ckvm_guest_blob_start[], ckvm_guest_blob_end[];
extern const uint64_t ckvm_guest_entries[CKVM_GUEST_PROGRAM_COUNT];

const uint8_t *ckvm_guest_code(void) { return ckvm_guest_blob_start; }
size_t ckvm_guest_code_size(void) { return (size_t)(ckvm_guest_blob_end - ckvm_guest_blob_start); }
long ckvm_guest_entry_offset(int program) {
    if (program < 0 || program >= CKVM_GUEST_PROGRAM_COUNT) return -1;
    return (long)ckvm_guest_entries[program];
}
#else
const uint8_t *ckvm_guest_code(void) { return 0; }
size_t ckvm_guest_code_size(void) { return 0; }
long ckvm_guest_entry_offset(int program) { (void)program; return -1; }
#endif
