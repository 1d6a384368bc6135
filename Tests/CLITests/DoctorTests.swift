import Foundation
import Testing

/// `benchmark doctor`: one answer for every benchmark every suite declares,
/// exit 0, whatever the host.
struct DoctorTests {
    static let fates: Set<String> = ["measured", "simulated", "model", "proxy", "input", "skipped", "as declared"]

    func json(_ args: [String]) throws -> (status: Int32, object: [String: Any]) {
        let r = try CLI.run(args)
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return (r.status, o ?? [:])
    }

    @Test(arguments: ["/dev/kvm", "/nonexistent/kvm"])
    func everyDeclaredBenchmarkHasAnAnswer(device: String) throws {
        let list = try json(["list", "--json"]).object
        let doctor = try json(["doctor", "--json", "--device", device])
        #expect(doctor.status == 0)
        let entries = try #require(doctor.object["benchmarks"] as? [[String: String]])
        var declared: [String] = []
        for s in try #require(list["suites"] as? [[String: Any]]) {
            for b in try #require(s["benchmarks"] as? [[String: String]]) { declared.append("\(s["name"]!)/\(b["name"]!)") }
        }
        #expect(entries.map { "\($0["suite"]!)/\($0["benchmark"]!)" } == declared)
        for e in entries {
            let parts = Set((e["fate"] ?? "").split(separator: "+").map(String.init))
            #expect(!parts.isEmpty && parts.isSubset(of: Self.fates), "\(e)")
            #expect(!(e["reason"] ?? "").isEmpty, "\(e)")
            if e["fate"] == "skipped" { #expect(!(e["change"] ?? "").isEmpty, "a skip says what would change it: \(e)") }
        }
        if device == "/nonexistent/kvm" {
            for e in entries where e["suite"] == "kvm" && e["benchmark"] != "amx-native-first-use" {
                #expect(e["fate"] == "skipped" && e["reason"]!.contains("No such file"), "\(e)")
            }
        }
    }

    @Test func textNamesEverySkipAndEndsWithTheCount() throws {
        let r = try CLI.run(["doctor", "--device", "/nonexistent/kvm"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("kvm/exit: skipped"))
        #expect(r.stdout.contains("to change:"))
        #expect(r.stdout.hasSuffix("skipped here\n"))
    }
}
