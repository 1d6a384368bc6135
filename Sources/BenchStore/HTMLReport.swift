import BenchCompare
import BenchCore
import Foundation

/// `benchmark report --html DIR`: a static site drawn from a results store,
/// readable offline (no script, no external resource; charts are SVG drawn
/// here).
///
/// Pages: `index.html` (hosts, runs, links); one page per question of the
/// thread (`question-1.html` ...) with the figures that answer it; one page
/// per suite and host (`suite-<suite>-<host>.html`, every row of that host's
/// newest run, each with an anchor); `hosts.html`, the cross-host table;
/// `history-<suite>.html`, a chart per timing figure with two runs or more.
/// Every figure shown carries its source label and links to its row.
public enum HTMLReport {
    /// A figure picked by a pattern over `suite/benchmark/params/metric`.
    struct Pick { var label: String; var pattern: String }

    struct Question { var title: String; var why: String; var picks: [Pick] }

    static let questions: [Question] = [
        Question(title: "Buffer allocation: the full AMX buffer at vCPU creation, or a small one reallocated on demand?",
                 why: "Memory each policy holds per vCPU against the latency an on-demand expansion adds.",
                 picks: [Pick(label: "memory per vCPU", pattern: "^fpstate-alloc/memory/.*/resident_bytes_per_vcpu$"),
                         Pick(label: "memory saved", pattern: "^fpstate-alloc/crossover/.*/memory_saved_bytes$"),
                         Pick(label: "first use, per adopting vCPU", pattern: "^fpstate-alloc/crossover/.*/first_use_added_ticks_per_adopter(_with_exit)?$"),
                         Pick(label: "buffer sizes", pattern: "^fpstate-alloc/sizes/"),
                         Pick(label: "lifecycle", pattern: "^fpstate-alloc/lifecycle/.*/(create|destroy)_ticks$")]),
        Question(title: "When to expand: at vCPU creation, or at KVM_SET_CPUID2 once the guest's CPUID is known?",
                 why: "What expanding at KVM_SET_CPUID2 costs, what fails where, and how much the state grows per CPU.",
                 picks: [Pick(label: "expansion", pattern: "^fpstate-alloc/lifecycle/.*/(set_cpuid|first_use)_ticks$"),
                         Pick(label: "failure mode", pattern: "^fpstate-alloc/failure-mode/"),
                         Pick(label: "growth per CPU", pattern: "^xsave/linux-buffer/.*/(growth_bytes|context_bytes)$"),
                         Pick(label: "KVM", pattern: "^kvm/amx-(set-cpuid|xsave2-size|create-vcpu)/")]),
        Question(title: "IA32_XFD interception: stop at KVM_SET_CPUID2, at the guest's first non-zero write, or never?",
                 why: "The per-exit RDMSR against the exits that intercepted writes cost, over fleets and swept RDMSR costs.",
                 picks: [Pick(label: "fleet overhead", pattern: "^rdmsr-exit/fleet/.*/overhead_pct$"),
                         Pick(label: "break-even", pattern: "^rdmsr-exit/break-even/.*/writes_per_1k_exits$"),
                         Pick(label: "XFD reads per 1,000 exits", pattern: "^rdmsr-exit/plan/.*/xfd_reads_per_1k_exits$"),
                         Pick(label: "exit round trip", pattern: "^kvm/exit/.*/round_trip$"),
                         Pick(label: "KVM", pattern: "^kvm/amx-(passthrough|xfd-write)/")]),
    ]

    /// The cross-host table: figures that depend on the host.
    static let crossHost: [Pick] = [
        Pick(label: "XSAVE sizes (this CPU)", pattern: "^xsave/size-check/cpu=host/"),
        Pick(label: "XSAVE / XRSTOR cost, dirty state", pattern: "^xsave/save-restore/cpu=host;[^/]*state=dirty;op=(xsave|xrstor)/per_op$"),
        Pick(label: "exit cost per KVM platform", pattern: "^kvm/exit/.*/round_trip$"),
        Pick(label: "signal frame (CPU and kernel)", pattern: "^xsave/signal-frame/cpu=host/"),
    ]

    /// One host's run shown on the pages: of its runs with the most suites,
    /// the newest full one, else the newest.
    struct HostRun {
        var run: StoredRun
        var rows: [StoredRowRecord]
        var slug: String
        /// `benchmark summary`'s text of the run: the three answers.
        var summary: String
    }

    /// Writes the site into `dir` (created; files replaced atomically) and
    /// returns the file names written.
    public static func write(_ store: ResultStore, to dir: URL) throws -> [String] {
        let runs = try store.runs()
        guard !runs.isEmpty else { throw BenchError.baseline("the store holds no runs (add some with `benchmark store add`)") }
        var hosts: [HostRun] = []
        let suiteCounts = try store.suiteCounts()
        for host in Set(runs.map(\.hostFingerprint)).sorted() {
            let own = runs.filter { $0.hostFingerprint == host }
            let most = own.map { suiteCounts[$0.runKey] ?? 0 }.max() ?? 0
            let widest = own.filter { suiteCounts[$0.runKey] ?? 0 == most }
            let run = widest.last { $0.quick != true } ?? widest.last!
            let rows = try store.rows(of: run.runKey)
            let last = rows.map(\.repetition).max() ?? 1
            let (folder, record) = try store.folder(of: run)
            hosts.append(HostRun(run: run, rows: rows.filter { $0.repetition == last }, slug: "h\(hosts.count + 1)",
                                 summary: RunSummary.text(folder, record: record, markdown: false)))
        }
        let series = try History.series(store)
        var pages: [String: String] = [:]
        pages["index.html"] = index(hosts, runs)
        for (i, q) in questions.enumerated() { pages["question-\(i + 1).html"] = question(i + 1, q, hosts) }
        pages["hosts.html"] = crossHostPage(hosts)
        let suites = Set(hosts.flatMap { $0.rows.map(\.suite) }).sorted()
        for h in hosts {
            for suite in Set(h.rows.map(\.suite)).sorted() {
                pages[suitePage(suite, h)] = suiteHTML(suite, h, series)
            }
        }
        for suite in suites { pages["history-\(slug(suite)).html"] = historyHTML(suite, series.filter { $0.suite == suite }) }
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw BenchError.output("cannot create \(dir.path): \(error.localizedDescription)")
        }
        for (name, html) in pages.sorted(by: { $0.key < $1.key }) {
            try AtomicFile.write(Data(html.utf8), to: dir.appendingPathComponent(name))
        }
        return pages.keys.sorted()
    }

    // MARK: pages

    static func index(_ hosts: [HostRun], _ runs: [StoredRun]) -> String {
        var b = "<h1>xfd-bench: what KVM's handling of AMX state costs</h1>\n"
        b += "<p>\(runs.count) stored run\(runs.count == 1 ? "" : "s") on \(hosts.count) host\(hosts.count == 1 ? "" : "s"). Each figure carries its source: <b>measured</b> on that CPU, <b>model</b> (computed from a model or a recorded CPU description), <b>proxy</b> (measured through a stand-in), <b>simulated</b>, or <b>input</b> (given by the user).</p>\n"
        b += "<h2>The three questions</h2>\n<ol>\n"
        for (i, q) in questions.enumerated() { b += "<li><a href=\"question-\(i + 1).html\">\(esc(q.title))</a></li>\n" }
        b += "</ol>\n"
        for h in hosts {
            b += "<h2>The answers on \(esc(h.run.hostFingerprint))</h2>\n<pre>\(esc(h.summary))</pre>\n"
        }
        b += "<h2>Across hosts</h2>\n<p><a href=\"hosts.html\">XSAVE sizes and costs, exit costs, signal frames per host</a></p>\n"
        b += "<h2>Hosts</h2>\n<table><tr><th>host</th><th>run shown</th><th>kernel</th><th>KVM</th><th>commit</th><th>suites</th></tr>\n"
        for h in hosts {
            let suites = Set(h.rows.map(\.suite)).sorted().map { "<a href=\"\(suitePage($0, h))\">\(esc($0))</a>" }.joined(separator: " ")
            b += "<tr><td>\(esc(h.run.hostFingerprint))</td><td>\(esc(h.run.runId)) (\(esc(h.run.date)), \(h.run.kind))</td><td>\(esc(h.run.kernel))</td><td>\(esc(h.run.kvmPlatform ?? "none"))</td><td>\(esc(h.run.commitLabel))</td><td>\(suites)</td></tr>\n"
        }
        b += "</table>\n<h2>History</h2>\n<p>"
        b += Set(hosts.flatMap { $0.rows.map(\.suite) }).sorted().map { "<a href=\"history-\(slug($0)).html\">\(esc($0))</a>" }.joined(separator: " · ")
        b += "</p>\n<h2>Runs</h2>\n<table><tr><th>date</th><th>run</th><th>host</th><th>kind</th><th>commit</th></tr>\n"
        for r in runs.reversed() {
            b += "<tr><td>\(esc(r.date))</td><td>\(esc(r.runId))</td><td>\(esc(r.hostFingerprint))</td><td>\(r.kind)</td><td>\(esc(r.commitLabel))</td></tr>\n"
        }
        return page("xfd-bench report", b + "</table>\n")
    }

    static func question(_ n: Int, _ q: Question, _ hosts: [HostRun]) -> String {
        var b = "<p><a href=\"index.html\">index</a></p>\n<h1>\(n). \(esc(q.title))</h1>\n<p>\(esc(q.why))</p>\n"
        for h in hosts {
            b += "<h2>\(esc(h.run.hostFingerprint))</h2>\n<p class=\"meta\">run \(esc(h.run.runId)), \(esc(h.run.date)), \(esc(h.run.kernel)), commit \(esc(h.run.commitLabel))</p>\n"
            var any = false
            for pick in q.picks {
                let rows = matching(h.rows, pick.pattern)
                guard !rows.isEmpty else { continue }
                any = true
                b += "<h3>\(esc(pick.label))</h3>\n" + table(rows, h)
            }
            if !any { b += "<p>No rows of this run answer this question (its suites were not run).</p>\n" }
        }
        return page("Question \(n)", b)
    }

    static func crossHostPage(_ hosts: [HostRun]) -> String {
        var b = "<p><a href=\"index.html\">index</a></p>\n<h1>Across hosts</h1>\n<p>Each host's newest run with the most suites (full before quick). A cell links to its row.</p>\n"
        for pick in crossHost {
            let names = Set(hosts.flatMap { matching($0.rows, pick.pattern).map(\.displayName) }).sorted()
            guard !names.isEmpty else { continue }
            b += "<h2>\(esc(pick.label))</h2>\n<table><tr><th>figure</th>"
            for h in hosts { b += "<th>\(esc(h.run.hostFingerprint))<br><span class=\"meta\">\(esc(h.run.kernel)); KVM \(esc(h.run.kvmPlatform ?? "none"))</span></th>" }
            b += "</tr>\n"
            for name in names {
                b += "<tr><td>\(esc(name))</td>"
                for h in hosts {
                    if let r = h.rows.first(where: { $0.displayName == name }) { b += "<td>\(cell(r, h))</td>" } else { b += "<td>-</td>" }
                }
                b += "</tr>\n"
            }
            b += "</table>\n"
        }
        return page("Across hosts", b)
    }

    static func suiteHTML(_ suite: String, _ h: HostRun, _ series: [FigureSeries]) -> String {
        let charted = Set(series.filter { $0.suite == suite && $0.host == h.run.hostFingerprint && $0.kind == h.run.kind && isCharted($0) }.map(\.name))
        var b = "<p><a href=\"index.html\">index</a> · <a href=\"history-\(slug(suite)).html\">history</a></p>\n"
        b += "<h1>\(esc(suite)) on \(esc(h.run.hostFingerprint))</h1>\n<p class=\"meta\">run \(esc(h.run.runId)), \(esc(h.run.date)), \(esc(h.run.kernel)), commit \(esc(h.run.commitLabel)), \(h.run.kind)</p>\n"
        b += "<table><tr><th>figure</th><th>value</th><th>unit</th><th>source</th><th>gate</th><th>depends</th><th>status</th><th>spread (p25-p75)</th><th>note</th></tr>\n"
        for r in h.rows.filter({ $0.suite == suite }).sorted(by: { $0.key < $1.key }) {
            let name = charted.contains(r.displayName)
                ? "<a href=\"history-\(slug(suite)).html#\(anchor(r.displayName, h.run.hostFingerprint + "|" + h.run.kind))\">\(esc(r.displayName))</a>" : esc(r.displayName)
            let spread = r.p25.flatMap { a in r.p75.map { "\(StoreFormat.number(a))-\(StoreFormat.number($0))" } } ?? ""
            b += "<tr id=\"\(anchor(r.displayName))\"><td>\(name)</td><td class=\"num\">\(r.value.map(StoreFormat.number) ?? "")</td><td>\(esc(r.unit))</td><td class=\"src \(r.source.rawValue)\">\(r.source.rawValue)</td><td>\(r.gate.rawValue)</td><td>\(r.depends.rawValue)</td><td>\(r.status.rawValue)</td><td>\(spread)</td><td>\(esc(r.note))</td></tr>\n"
        }
        return page("\(suite) on \(h.run.hostFingerprint)", b + "</table>\n")
    }

    static func historyHTML(_ suite: String, _ series: [FigureSeries]) -> String {
        var b = "<p><a href=\"index.html\">index</a></p>\n<h1>History: \(esc(suite))</h1>\n"
        let shown = series.filter(isCharted)
        if shown.isEmpty { b += "<p>No timing figure of this suite has two runs of one kind on one host yet.</p>\n" }
        for s in shown {
            b += "<h2 id=\"\(anchor(s.name, s.host + "|" + s.kind))\">\(esc(s.name))</h2>\n<p class=\"meta\">\(esc(s.host)), \(s.kind) runs, \(esc(s.unit)), \(s.source.rawValue)</p>\n"
            b += chart(s)
        }
        return page("History: \(suite)", b)
    }

    // MARK: pieces

    /// Timing figures with two runs or more get a chart.
    static func isCharted(_ s: FigureSeries) -> Bool { s.gate == .timing && s.perRun.count >= 2 }

    static func matching(_ rows: [StoredRowRecord], _ pattern: String) -> [StoredRowRecord] {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return [] }
        return rows.filter { re.firstMatch(in: $0.displayName, range: NSRange($0.displayName.startIndex..., in: $0.displayName)) != nil }
            .sorted { $0.key < $1.key }
    }

    static func table(_ rows: [StoredRowRecord], _ h: HostRun) -> String {
        var b = "<table><tr><th>figure</th><th>value</th><th>source</th></tr>\n"
        for r in rows.prefix(60) {
            b += "<tr><td>\(esc(r.displayName))</td><td>\(cell(r, h))</td><td class=\"src \(r.source.rawValue)\">\(r.source.rawValue)</td></tr>\n"
        }
        if rows.count > 60 { b += "<tr><td colspan=\"3\">\(rows.count - 60) more on the suite page</td></tr>\n" }
        return b + "</table>\n"
    }

    /// A figure's value (or status) with its unit and source, linking to its row.
    static func cell(_ r: StoredRowRecord, _ h: HostRun) -> String {
        let text = r.status == .ok ? "\(r.value.map(StoreFormat.number) ?? "") \(esc(r.unit))" : r.status.rawValue
        return "<a href=\"\(suitePage(r.suite, h))#\(anchor(r.displayName))\" title=\"\(r.source.rawValue)\">\(text)</a> <span class=\"src \(r.source.rawValue)\">[\(r.source.rawValue)]</span>"
    }

    /// Per-run medians as a line, every repetition as a dot; y from the
    /// smallest to the largest value, x one step per run.
    static func chart(_ s: FigureSeries) -> String {
        let runs = s.perRun
        let values = runs.flatMap(\.values)
        guard let lo = values.min(), let hi = values.max() else { return "" }
        let w = 640.0, h = 200.0, left = 70.0, right = 10.0, top = 10.0, bottom = 40.0
        let span = hi > lo ? hi - lo : max(abs(hi), 1) * 0.01
        func x(_ i: Int) -> Double { left + (w - left - right) * (runs.count == 1 ? 0.5 : Double(i) / Double(runs.count - 1)) }
        func y(_ v: Double) -> Double { top + (h - top - bottom) * (1 - (v - lo) / span) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"\(esc(s.name))\">\n"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(h - bottom)\" stroke=\"#888\"/><line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - right)\" y2=\"\(h - bottom)\" stroke=\"#888\"/>\n"
        svg += "<text x=\"\(left - 4)\" y=\"\(top + 4)\" text-anchor=\"end\" font-size=\"11\">\(StoreFormat.number(hi))</text>"
        svg += "<text x=\"\(left - 4)\" y=\"\(h - bottom)\" text-anchor=\"end\" font-size=\"11\">\(StoreFormat.number(lo))</text>\n"
        for (i, r) in runs.enumerated() {
            for v in r.values { svg += "<circle cx=\(q(x(i))) cy=\(q(y(v))) r=\"2.5\" fill=\"#9ab\"/>" }
            svg += "<text x=\(q(x(i))) y=\"\(h - bottom + 14)\" text-anchor=\"middle\" font-size=\"10\">\(esc(String(r.run.commitLabel.prefix(7))))</text>"
        }
        let line = runs.enumerated().map { "\(f(x($0.offset))),\(f(y($0.element.median)))" }.joined(separator: " ")
        svg += "\n<polyline fill=\"none\" stroke=\"#246\" stroke-width=\"1.5\" points=\"\(line)\"/>\n"
        svg += "<text x=\"\(left)\" y=\"\(h - 6)\" font-size=\"10\">runs oldest to newest (commit); line: median of each run's repetitions; dots: repetitions</text>\n</svg>\n"
        return svg
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    static func q(_ v: Double) -> String { "\"\(f(v))\"" }

    static func suitePage(_ suite: String, _ h: HostRun) -> String { "suite-\(slug(suite))-\(h.slug).html" }

    /// A file or anchor name: letters, digits, '-' and '_' kept, the rest '_',
    /// plus a digest so different names never collide.
    static func slug(_ text: String) -> String {
        String(text.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" ? Character($0) : "_" })
    }

    static func anchor(_ name: String, _ host: String = "") -> String {
        "r-" + ReportSchema.digest(Array((host + "\u{1}" + name).utf8))
    }

    static func esc(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static func page(_ title: String, _ body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(esc(title))</title>
        <style>
        body{font-family:sans-serif;margin:1.5em;max-width:80em;color:#222}
        table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;vertical-align:top}
        th{background:#f0f0f0;text-align:left}.num{text-align:right}.meta{color:#666;font-size:13px}
        .src.measured{color:#060}.src.model{color:#036}.src.proxy{color:#850}.src.simulated{color:#707}.src.input{color:#555}
        </style></head>
        <body>
        \(body)</body></html>

        """
    }
}
