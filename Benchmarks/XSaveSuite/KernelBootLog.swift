import Foundation

/// The figures the kernel prints about XSAVE at boot
/// (arch/x86/kernel/fpu/xstate.c and signal.c).
public struct KernelBootFigures: Sendable, Equatable {
    /// "x86/fpu: Enabled xstate features 0x18e7, ...".
    public var features: UInt64?
    /// "... context size is 2472 bytes, ...", bytes.
    public var contextBytes: Int?
    /// "signal: max sigframe size: 3376", bytes.
    public var maxSigframe: Int?

    public init(features: UInt64? = nil, contextBytes: Int? = nil, maxSigframe: Int? = nil) {
        self.features = features; self.contextBytes = contextBytes; self.maxSigframe = maxSigframe
    }

    /// Reads the figures from log lines (any prefix: timestamps, kmsg
    /// headers).  The last occurrence wins.
    public static func parse(_ lines: [String]) -> KernelBootFigures {
        var f = KernelBootFigures()
        for line in lines {
            if let r = line.range(of: "Enabled xstate features 0x") {
                let hexText = line[r.upperBound...].prefix { $0.isHexDigit }
                f.features = UInt64(hexText, radix: 16)
                if let c = line.range(of: "context size is ") {
                    f.contextBytes = Int(line[c.upperBound...].prefix { $0.isNumber })
                }
            }
            if let r = line.range(of: "max sigframe size: ") {
                f.maxSigframe = Int(line[r.upperBound...].prefix { $0.isNumber })
            }
        }
        return f
    }
}

/// Why the kernel log could not be read.
public struct KernelLogError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// The kernel's message ring buffer, read from /dev/kmsg.
enum KernelLog {
    /// Upper bound on records read: the ring buffer holds far fewer.
    static let maxRecords = 200_000

    /// Every record in the ring buffer now (non-blocking: stops at the end).
    static func records(path: String = "/dev/kmsg") -> Result<[String], KernelLogError> {
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else {
            return .failure(KernelLogError(description: "open(\(path)) failed: \(String(cString: strerror(errno)))"))
        }
        defer { close(fd) }
        var lines: [String] = []
        var buf = [UInt8](repeating: 0, count: 8192)
        for _ in 0..<maxRecords {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 { lines.append(String(decoding: buf.prefix(n), as: UTF8.self)); continue }
            if n < 0 && errno == EPIPE { continue }  // a record was overwritten while reading: skip it
            if n < 0 && errno != EAGAIN {
                return .failure(KernelLogError(description: "read(\(path)) failed: \(String(cString: strerror(errno)))"))
            }
            break
        }
        return .success(lines)
    }

    /// The boot figures from the ring buffer, or why they cannot be read.
    static func bootFigures() -> Result<KernelBootFigures, KernelLogError> {
        records().map(KernelBootFigures.parse)
    }
}
