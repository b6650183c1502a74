import Foundation

/// An error whose report is a list of lines by design (a weight-loading error lists every
/// problem); each line is still escaped on its own.
public protocol ReportedInLines: Error {
    var reportLines: [String]? { get }
}

/// How the executables report an error: `error: MESSAGE` on stderr, where every control
/// character that came from a file (a key, a name, a line of a metrics file) is escaped -
/// newlines included - so no input can forge extra lines or terminal escapes.
public enum ErrorReport {
    public static func text(_ error: Error) -> String {
        if let e = error as? ReportedInLines, let lines = e.reportLines { return lines.map(escape).joined(separator: "\n") }
        return escape("\(error)")
    }

    public static func print(_ error: Error) {
        FileHandle.standardError.write(Data("error: \(text(error))\n".utf8))
    }

    /// Control characters (C0, DEL, C1) as `\xNN`.
    public static func escape(_ line: String) -> String {
        var out = String.UnicodeScalarView()
        for u in line.unicodeScalars {
            if u.value < 0x20 && u != "\t" || u.value == 0x7f || (0x80..<0xa0).contains(u.value) {
                out.append(contentsOf: String(format: "\\x%02x", u.value).unicodeScalars)
            } else {
                out.append(u)
            }
        }
        return String(out)
    }
}
