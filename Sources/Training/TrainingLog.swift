import FileIO
import Foundation

/// `OUTPUT/log.jsonl`: one JSON object per step. It always ends at the step the trainer is at:
/// opening it for a run drops the lines after that step (those of a run that stopped after its
/// last save and resumed from it, or everything on `--restart`), so a resumed run's log equals
/// an uninterrupted one. A NaN or infinite value is written as `null`, its key listed in
/// `"nonfinite"` (bare `nan` would make the file invalid JSON).
public final class TrainingLog {
    let handle: FileHandle
    public let path: String

    /// Opens the log for appending after `step` (0: a fresh log).
    public init(path: String, continuingAfter step: Int) throws {
        self.path = path
        var kept: [UInt8] = []
        if step > 0, FileManager.default.fileExists(atPath: path) {
            let bytes = try InputFile(path: path).readAll()
            for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
                guard let s = Self.step(of: Array(line)), s <= step else { break }
                kept += line + [UInt8(ascii: "\n")]
            }
        }
        _ = try DurableFile.write(kept, to: path)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        _ = try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    public func append(step: Int, values: [(String, Float)], latents: [Int]) throws {
        try append(step: step, values: values, lists: [("latents", latents)])
    }

    /// A line with integer lists of any name (`layers` of a StyleGAN-NADA iteration).
    public func append(step: Int, values: [(String, Float)], lists: [(String, [Int])]) throws {
        try handle.write(contentsOf: Data(Self.line(step: step, values: values, lists: lists).utf8))
    }

    /// `{"step": 3, "loss": 0.41, "clip": null, ..., "latents": [4, 9], "nonfinite": ["clip"]}`
    public static func line(step: Int, values: [(String, Float)], latents: [Int]) -> String {
        line(step: step, values: values, lists: [("latents", latents)])
    }

    public static func line(step: Int, values: [(String, Float)], lists: [(String, [Int])]) -> String {
        var line = "{\"step\": \(step)"
        var nonfinite: [String] = []
        for (k, v) in values {
            if v.isFinite { line += ", \"\(k)\": \(v)" } else { line += ", \"\(k)\": null"; nonfinite.append(k) }
        }
        for (k, list) in lists { line += ", \"\(k)\": [\(list.map(String.init).joined(separator: ", "))]" }
        if !nonfinite.isEmpty { line += ", \"nonfinite\": [\(nonfinite.map { "\"\($0)\"" }.joined(separator: ", "))]" }
        return line + "}\n"
    }

    static func step(of line: [UInt8]) -> Int? {
        guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return nil }
        return o["step"] as? Int
    }
}
