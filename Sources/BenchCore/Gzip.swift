import CZlib
import Foundation

/// gzip (RFC 1952) through zlib's deflate, in memory.
public enum Gzip {
    /// The gzip member holding `bytes`, at compression `level` (0...9).
    /// Throws `BenchError.output` when zlib fails.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        guard bytes.count < Int(UInt32.max) else { throw BenchError.output("gzip input over 4 GiB") }
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
        let status = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw BenchError.output("zlib deflateInit2 failed (\(status))") }
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 64)
        var input = bytes
        let result: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            out.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END else { throw BenchError.output("zlib deflate did not finish (\(result))") }
        return Array(out.prefix(Int(stream.total_out)))
    }
}
