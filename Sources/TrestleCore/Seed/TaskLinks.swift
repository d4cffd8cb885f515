/// Task links in the shape of seed 000's example:
/// `<external_url>/v1/projects/detail/<project>/pipelines/multi/<workflow>/<task_id>`.
public enum TaskLinks {
    public static func url(externalURL: String, project: String, workflow: String, taskID: Int64) -> String {
        "\(externalURL)/v1/projects/detail/\(escape(project))/pipelines/multi/\(escape(workflow))/\(taskID)"
    }

    /// One job's log as text, at the job log route of seed 000's task address.
    public static func jobLogURL(externalURL: String, workflow: String, taskID: Int64, job: String) -> String {
        "\(externalURL)/api/directory/workflowTask/id/\(taskID)/pipelines/\(escape(workflow))/logs?job=\(escape(job))"
    }

    /// A path segment with everything but RFC 3986's unreserved characters percent-escaped.
    /// Names are validated to URL-safe characters; escape anyway so a link can never break.
    public static func escape(_ segment: String) -> String {
        guard !segment.utf8.allSatisfy(isUnreserved) else { return segment }
        var out = ""
        for byte in segment.utf8 {
            if isUnreserved(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
