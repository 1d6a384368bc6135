@testable import BenchCompare
import Testing

/// The number forms the text and markdown reports print.
@Suite struct FormatTests {
    @Test func pValuesKeepFourDecimalsDownToOneThousandth() {
        #expect(Format.p(2.0 / 252) == "0.0079")   // 5 vs 5 fully separated
        #expect(Format.p(0.05) == "0.0500")
        #expect(Format.p(0.001) == "0.0010")
        #expect(Format.p(0.000_99) == "9.9e-04")
    }

    @Test func numbersPercentsAndValues() {
        #expect(Format.number(11008) == "11008")
        #expect(Format.number(-3) == "-3")
        #expect(Format.number(0.1234567) == "0.123457")
        #expect(Format.number(.nan) == "nan")
        #expect(Format.number(1e15) == "1e+15")
        #expect(Format.percent(0.102) == "+10.2%")
        #expect(Format.percent(-0.05) == "-5.0%")
        #expect(Format.value(nil, unit: "ticks") == "-")
        #expect(Format.value(64, unit: "bytes") == "64 bytes")
        #expect(Format.value(1.5, unit: "") == "1.5")
    }
}
