# Writes kvm-stats-vcpu0.bin: a KVM_GET_STATS_FD snapshot of one vCPU laid out
# as Documentation/virt/kvm/api.rst describes it (struct kvm_stats_header,
# the id string, struct kvm_stats_desc entries with name_size-byte names, the
# u64 data).  The values are chosen by hand.
import struct

name_size = 48
stats = [("exits", 0, 10000), ("halt_exits", 0, 2500), ("irq_exits", 0, 2000), ("io_exits", 0, 400),
         ("mmio_exits", 0, 300), ("halt_poll_success_ns", 0, 123456), ("guest_mode", 1, 0)]
ident = b"kvm-4242/vcpu-0".ljust(name_size, b"\0")
id_off = 24
desc_off = id_off + name_size
desc_size = 16 + name_size
data_off = desc_off + desc_size * len(stats)
out = struct.pack("<6I", 0, name_size, len(stats), id_off, desc_off, data_off) + ident
for i, (n, t, v) in enumerate(stats):
    # flags: the type in bits 0-3 (0 cumulative, 1 instant); unit and base 0
    out += struct.pack("<IhHII", t, 0, 1, 8 * i, 0) + n.encode().ljust(name_size, b"\0")
for n, t, v in stats:
    out += struct.pack("<Q", v)
open("kvm-stats-vcpu0.bin", "wb").write(out)
