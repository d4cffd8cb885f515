import TrestleCore

/// The workflows page's two pictures over a workflow's recent tasks, oldest on the left, drawn
/// as SVG on the server: each ended task's duration as a bar coloured by its status, and the pass
/// rate of the ten tasks up to each one as a line.
enum WorkflowCharts {
    static let width = 600
    static let height = 120
    static let window = 10

    /// Bars: one per ended task, height by duration (the longest fills the chart).
    static func durations(_ tasks: [TaskSummary]) -> String {
        let ended = tasks.filter { $0.status.isFinal && $0.startTime > 0 && $0.endTime >= $0.startTime }
        guard !ended.isEmpty else { return empty("no ended task yet") }
        let longest = max(1, ended.map { $0.endTime - $0.startTime }.max() ?? 1)
        let slot = Double(width) / Double(ended.count)
        var svg = open("durations of the last \(ended.count) tasks; the longest \(DashboardFormat.duration(start: 1, end: 1 + longest, now: 0))")
        for (index, task) in ended.enumerated() {
            let seconds = task.endTime - task.startTime
            let bar = max(1, Int(Double(height - 14) * Double(seconds) / Double(longest)))
            let x = Double(index) * slot
            svg += "<rect class=\"bar s-\(task.status.rawValue)\" x=\"\(format(x + 1))\" y=\"\(height - bar)\" width=\"\(format(max(1, slot - 2)))\" height=\"\(bar)\">"
            svg += "<title>#\(task.taskID): \(task.status.rawValue), \(DashboardFormat.duration(start: task.startTime, end: task.endTime, now: 0))</title></rect>"
        }
        return svg + "</svg>"
    }

    /// The share of passed tasks among the `window` ended tasks up to each one, 0 to 100 %.
    static func passRates(_ tasks: [TaskSummary]) -> [Double] {
        let ended = tasks.filter(\.status.isFinal)
        return ended.indices.map { index in
            let recent = ended[max(0, index - window + 1)...index]
            return 100 * Double(recent.filter { $0.status == .passed }.count) / Double(recent.count)
        }
    }

    static func passRate(_ tasks: [TaskSummary]) -> String {
        let rates = passRates(tasks)
        guard !rates.isEmpty else { return empty("no ended task yet") }
        let step = rates.count > 1 ? Double(width) / Double(rates.count - 1) : 0
        let points = rates.enumerated().map { index, rate in
            "\(format(Double(index) * step)),\(format(Double(height - 4) - Double(height - 14) * rate / 100))"
        }.joined(separator: " ")
        var svg = open("pass rate over the last \(rates.count) ended tasks, ten at a time; now \(Int((rates.last ?? 0).rounded())) %")
        svg += "<line class=\"axis\" x1=\"0\" y1=\"\(height - 4)\" x2=\"\(width)\" y2=\"\(height - 4)\"/>"
        svg += "<polyline class=\"rate\" points=\"\(points)\"/>"
        svg += "<text class=\"label\" x=\"4\" y=\"12\">\(Int((rates.last ?? 0).rounded())) % passed (last \(min(window, rates.count)))</text>"
        return svg + "</svg>"
    }

    private static func open(_ label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"\(PipelineSVG.escape(label))\">"
    }

    private static func empty(_ text: String) -> String {
        open(text) + "<text class=\"label\" x=\"4\" y=\"\(height / 2)\">\(PipelineSVG.escape(text))</text></svg>"
    }

    private static func format(_ value: Double) -> String {
        String(Double(Int(value * 10)) / 10)
    }
}
