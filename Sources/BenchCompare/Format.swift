import Foundation

/// Number formatting shared by the text and markdown reports.
enum Format {
    /// Integers as integers; otherwise up to 6 significant digits.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.6g", v)
    }

    /// A relative change (a fraction) as a signed percentage, e.g. "+10.2%".
    static func percent(_ fraction: Double) -> String {
        String(format: "%+.1f%%", fraction * 100)
    }

    /// A p-value with enough digits to read 2/252 as 0.0079.
    static func p(_ v: Double) -> String {
        v >= 0.001 ? String(format: "%.4f", v) : String(format: "%.1e", v)
    }

    static func value(_ v: Double?, unit: String) -> String {
        guard let v else { return "-" }
        return unit.isEmpty ? number(v) : "\(number(v)) \(unit)"
    }
}
