import CKVM
import Foundation

/// A vCPU's binary statistics file (KVM_GET_STATS_FD): named 64-bit
/// counters such as `exits`, `io_exits`, `hypercalls`.  The descriptors are
/// read once; `read()` reads every counter's current value.  Closed on deinit.
///
/// File layout (Documentation/virt/kvm/api.rst, "KVM_GET_STATS_FD"): a
/// 24-byte header {flags, name_size, num_desc, id_offset, desc_offset,
/// data_offset} (u32 each), then num_desc descriptors of 16 + name_size
/// bytes {flags u32, exponent s16, size u16 (in u64 words), offset u32,
/// bucket_size u32, name}, and the data block.
public final class KVMStatistics {
    let fd: Int32
    /// Counter name -> byte offset of its first u64 in the file.
    public let offsets: [String: UInt64]

    init(fd: Int32) throws(KVMError) {
        self.fd = fd
        var header = [UInt8](repeating: 0, count: 24)
        guard KVMStatistics.pread(fd, &header, at: 0) == header.count else {
            _ = ckvm_close(fd)
            throw KVMError("read stats header", code: EIO)
        }
        let nameSize = Int(KVMStatistics.u32(header, 4)), count = Int(KVMStatistics.u32(header, 8))
        let descOffset = UInt64(KVMStatistics.u32(header, 16)), dataOffset = UInt64(KVMStatistics.u32(header, 20))
        let stride = 16 + nameSize
        // A sane file has a few hundred counters with names under 64 KiB.
        guard (1...4096).contains(count), (1...65536).contains(nameSize) else {
            _ = ckvm_close(fd)
            throw KVMError("stats header out of range", code: EIO)
        }
        var descriptors = [UInt8](repeating: 0, count: stride * count)
        guard KVMStatistics.pread(fd, &descriptors, at: descOffset) == descriptors.count else {
            _ = ckvm_close(fd)
            throw KVMError("read stats descriptors", code: EIO)
        }
        offsets = KVMStatistics.parseDescriptors(descriptors, count: count, nameSize: nameSize, dataOffset: dataOffset)
    }

    deinit { _ = ckvm_close(fd) }

    /// Current value of every counter named in `names` (absent names left out).
    public func read(_ names: [String]) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for n in names {
            guard let off = offsets[n] else { continue }
            var word = [UInt8](repeating: 0, count: 8)
            if KVMStatistics.pread(fd, &word, at: off) == 8 { out[n] = KVMStatistics.u64(word, 0) }
        }
        return out
    }

    /// Descriptor names to data offsets.  Pure, so a recorded block can be tested.
    static func parseDescriptors(_ bytes: [UInt8], count: Int, nameSize: Int, dataOffset: UInt64) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        let stride = 16 + nameSize
        for i in 0..<count where (i + 1) * stride <= bytes.count {
            let base = i * stride
            let offset = UInt64(u32(bytes, base + 8))
            let nameBytes = bytes[(base + 16)..<(base + stride)].prefix { $0 != 0 }
            out[String(decoding: nameBytes, as: UTF8.self)] = dataOffset + offset
        }
        return out
    }

    static func pread(_ fd: Int32, _ buffer: inout [UInt8], at offset: UInt64) -> Int {
        buffer.withUnsafeMutableBytes { Int(ckvm_pread(fd, $0.baseAddress, $0.count, offset)) }
    }

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << UInt32(8 * $1) }
    }

    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << UInt64(8 * $1) }
    }
}
