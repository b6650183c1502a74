import Foundation
import Tensors

/// `cfclip parity DIR`: recognises the model of a fixture folder from its files, recomputes
/// every output tensor of cases.safetensors from its inputs (with every checkpoint file
/// present), and judges each against its stored tolerance. An output it cannot compute is a
/// failure, never a skip.
public enum ParityRunner {
    public struct Report {
        public var folder: String
        public var model: String
        public var results: [ParityResult]
        public var passed: Bool { !results.isEmpty && results.allSatisfy(\.passed) }
    }

    public static func run(_ dir: String) throws -> Report {
        let url = URL(fileURLWithPath: dir)
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("expected.json").path) {
            return Report(folder: dir, model: "formats", results: try FormatsParity.run(dir))
        }
        let folder = try FixtureFolder(dir)
        let results: [ParityResult]
        switch folder.model {
        case "ops": results = OpsParity.run(folder)
        case "stylegan2": results = StyleGAN2Parity.run(folder)
        case "arcface": results = ArcFaceParity.run(folder)
        case "vgg19": results = VGGParity.run(folder)
        case "clip": results = CLIPParity.run(folder)
        case "styleclip_levels_mapper", "cfclip_mapper": results = MapperParity.run(folder)
        case "sampling": results = SamplingParity.run(folder)
        case "grads": results = GradsParity.run(folder)
        case "methods": results = MethodsParity.run(folder)
        case "nada": results = NadaParity.run(folder)
        case "": throw ParityError.unknownModel(dir)
        default:
            results = folder.outputs.map {
                .failed($0.name, source: "-", tolerance: $0.tolerance, note: "model '\(folder.model)' is not implemented yet")
            }
        }
        return Report(folder: dir, model: folder.model, results: results)
    }

    /// One line per output: name, source, max abs / rel error, tolerance, PASS/FAIL.
    public static func format(_ r: Report) -> String {
        var lines = ["\(r.folder) (\(r.model)): \(r.results.filter(\.passed).count)/\(r.results.count) outputs pass"]
        let nameWidth = min(48, r.results.map { $0.name.count }.max() ?? 0)
        let srcWidth = r.results.map { $0.source.count }.max() ?? 0
        for x in r.results {
            let err = x.note.map { "  (\($0))" } ?? ""
            lines.append([
                x.passed ? "PASS" : "FAIL",
                x.name.padding(toLength: max(nameWidth, x.name.count), withPad: " ", startingAt: 0),
                x.source.padding(toLength: srcWidth, withPad: " ", startingAt: 0),
                "max_abs " + String(format: "%.3e", x.maxAbs),
                "max_rel " + String(format: "%.3e", x.maxRel),
                x.tolerance.text,
            ].joined(separator: "  ") + err)
        }
        return lines.joined(separator: "\n")
    }

    public static func json(_ r: Report) -> String {
        func num(_ d: Double) -> Any { d.isFinite ? d : NSNull() }
        let obj: [String: Any] = [
            "folder": r.folder, "model": r.model, "passed": r.passed,
            "results": r.results.map { x -> [String: Any] in
                var o: [String: Any] = ["name": x.name, "source": x.source, "max_abs": num(x.maxAbs), "max_rel": num(x.maxRel),
                                        "atol": x.tolerance.atol, "rtol": x.tolerance.rtol, "exact": x.tolerance.exact,
                                        "passed": x.passed]
                if let n = x.note { o["note"] = n }
                return o
            },
        ]
        let data = try! JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
