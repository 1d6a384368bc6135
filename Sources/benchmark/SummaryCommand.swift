import ArgumentParser
import BenchCompare
import BenchCore
import Foundation

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "The three answers of a result folder, with key figures and their sources (72 columns, no colour).")
    @Argument(help: "Result folder (e.g. Results/latest or Results/reference).")
    var folder: String
    @Flag(help: "Markdown for a pull request instead of plain text.")
    var markdown = false

    func run() throws {
        let url = URL(fileURLWithPath: self.folder)
        let folder = try ResultFolder.read(url, label: "run")
        let data = FileManager.default.contents(atPath: url.appendingPathComponent(EnvironmentRecord.fileName).path)
        let record = data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        StandardStreams.out(RunSummary.text(folder, record: record, markdown: markdown))
    }
}
