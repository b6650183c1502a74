import Foundation

/// How the executables report an error: `error: MESSAGE` on stderr, where every control
/// character that came from a file (a key, a name, a line of a metrics file) is escaped, so
/// no input can forge extra lines or terminal escapes. Lines the message itself separates
/// (a list of weight problems) stay lines.
public enum ErrorReport {
    public static func text(_ error: Error) -> String {
        "\(error)".split(separator: "\n", omittingEmptySubsequences: false).map { escape(String($0)) }.joined(separator: "\n")
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
