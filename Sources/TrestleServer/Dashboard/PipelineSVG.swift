import TrestleCore

/// A task attempt's stages and jobs drawn as an SVG: one column per stage, a box per job coloured
/// by its status (the CSS classes `job s-<status>`) with its duration, an edge from each job to
/// the jobs it `needs`, and from every job of a stage to the first job of the next one where no
/// `needs` says otherwise. Every text is escaped; nothing in it comes unescaped from a task.
enum PipelineSVG {
    static let boxWidth = 180
    static let boxHeight = 44
    static let columnGap = 60
    static let rowGap = 16
    static let margin = 12

    struct Box: Equatable {
        var name: String
        var x: Int
        var y: Int
    }

    /// Where each job's box goes: stage by stage from the left, jobs top to bottom.
    static func layout(_ stages: [StageRecord]) -> [Box] {
        var boxes: [Box] = []
        for (column, stage) in stages.enumerated() {
            for (row, job) in stage.jobs.enumerated() {
                boxes.append(Box(name: job.name, x: margin + column * (boxWidth + columnGap), y: margin + 22 + row * (boxHeight + rowGap)))
            }
        }
        return boxes
    }

    /// The edges, as (from, to) job names: `needs` within a stage, and stage after stage.
    static func edges(_ stages: [StageRecord], needs: [String: [String]]) -> [(String, String)] {
        var edges: [(String, String)] = []
        for (index, stage) in stages.enumerated() {
            for job in stage.jobs {
                for needed in needs[job.name] ?? [] { edges.append((needed, job.name)) }
            }
            guard index + 1 < stages.count else { continue }
            let next = stages[index + 1].jobs.filter { (needs[$0.name] ?? []).isEmpty }
            for job in stage.jobs where !stage.jobs.contains(where: { (needs[$0.name] ?? []).contains(job.name) }) {
                for target in next { edges.append((job.name, target.name)) }
            }
        }
        return edges
    }

    static func render(_ stages: [StageRecord], needs: [String: [String]], now: Int64) -> String {
        let boxes = layout(stages)
        let byName = Dictionary(boxes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let rows = stages.map(\.jobs.count).max() ?? 0
        let width = margin * 2 + max(1, stages.count) * boxWidth + max(0, stages.count - 1) * columnGap
        let height = margin * 2 + 22 + max(1, rows) * (boxHeight + rowGap)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"pipeline\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"pipeline\">"
        svg += "<defs><marker id=\"arrow\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" class=\"edge-head\"/></marker></defs>"
        for (column, stage) in stages.enumerated() {
            svg += "<text class=\"stage\" x=\"\(margin + column * (boxWidth + columnGap))\" y=\"\(margin + 12)\">\(escape(stage.name))</text>"
        }
        for (from, to) in edges(stages, needs: needs) {
            guard let a = byName[from], let b = byName[to] else { continue }
            let (x1, y1, x2, y2) = (a.x + boxWidth, a.y + boxHeight / 2, b.x, b.y + boxHeight / 2)
            let path = a.x == b.x
                ? "M\(a.x + boxWidth / 2),\(a.y + boxHeight) L\(b.x + boxWidth / 2),\(b.y)"
                : "M\(x1),\(y1) C\(x1 + columnGap / 2),\(y1) \(x2 - columnGap / 2),\(y2) \(x2),\(y2)"
            svg += "<path class=\"edge\" d=\"\(path)\" marker-end=\"url(#arrow)\" data-from=\"\(escape(from))\" data-to=\"\(escape(to))\"/>"
        }
        let jobs = stages.flatMap(\.jobs)
        for (box, job) in zip(boxes, jobs) {
            svg += "<g class=\"job s-\(job.status.rawValue)\" data-job=\"\(escape(job.name))\">"
            svg += "<rect x=\"\(box.x)\" y=\"\(box.y)\" width=\"\(boxWidth)\" height=\"\(boxHeight)\" rx=\"6\"/>"
            svg += "<text x=\"\(box.x + 10)\" y=\"\(box.y + 18)\" class=\"name\">\(escape(String(job.name.prefix(24))))</text>"
            svg += "<text x=\"\(box.x + 10)\" y=\"\(box.y + 35)\" class=\"detail\">\(job.status.rawValue) \(DashboardFormat.duration(start: job.startTime, end: job.endTime, now: now))</text>"
            svg += "<title>\(escape(job.name)): \(job.status.rawValue)\(job.error.map { " — " + escape($0) } ?? "")</title></g>"
        }
        return svg + "</svg>"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
