import Foundation
import Models
import Tensors

/// Exact token ids: the prompts of cases.json against `in.tokens`, and every prompt of the
/// folder's tokens.json. The vocabulary is `../../clip/bpe_simple_vocab_16e6.txt.gz` from the
/// folder (the fixtures' layout) or `$CFCLIP_CLIP_VOCAB`.
enum TokenizerParity {
    static func vocabularyPath(for f: FixtureFolder) -> String {
        if let env = ProcessInfo.processInfo.environment["CFCLIP_CLIP_VOCAB"], !env.isEmpty { return env }
        return f.url.appendingPathComponent("../../clip/bpe_simple_vocab_16e6.txt.gz").standardizedFileURL.path
    }

    static func run(_ f: FixtureFolder) -> [ParityResult] {
        let casesJSON = (try? FixtureFolder.readJSON(f.url.appendingPathComponent("cases.json"), optional: true)) ?? nil
        let prompts = casesJSON?["prompts"] as? [String]
        let tokensJSON = (try? FixtureFolder.readJSON(f.url.appendingPathComponent("tokens.json"), optional: true)) ?? nil
        let listed = (tokensJSON?["prompts"] as? [[String: Any]]) ?? []
        if prompts == nil && listed.isEmpty { return [] }
        let tokenizer: CLIPTokenizer
        do { tokenizer = try CLIPTokenizer(vocabularyPath: vocabularyPath(for: f)) } catch {
            return [.failed("tokenizer", source: "-", tolerance: .exactMatch, note: "\(error)")]
        }
        var results: [ParityResult] = []
        if let prompts, let expected = f.inputIfPresent("in.tokens") {
            let ctx = expected.shape[1]
            let got = prompts.flatMap { (try? tokenizer.tokenize($0, contextLength: ctx, truncate: true)) ?? [] }.map(Int64.init)
            results.append(.compare("in.tokens (cases.json prompts)", source: "tokenizer", actual: got,
                                    actualShape: [prompts.count, ctx], expected: expected.scalars.map { Int64($0) },
                                    expectedShape: expected.shape))
        }
        if !listed.isEmpty {
            let ctx = (tokensJSON?["context_length"] as? Int) ?? 77
            var mismatches: [String] = []
            for p in listed {
                guard let text = p["text"] as? String, let ids = p["ids"] as? [Int] else { continue }
                let got = (try? tokenizer.tokenize(text, contextLength: ctx, truncate: true)).map { $0.map(Int.init) }
                if got != ids { mismatches.append(String(reflecting: text)) }
            }
            var r = ParityResult(name: "tokens.json (\(listed.count) prompts)", source: "tokenizer", maxAbs: Double(mismatches.count),
                                 maxRel: 0, tolerance: .exactMatch, passed: mismatches.isEmpty, note: nil)
            if !mismatches.isEmpty { r.note = "\(mismatches.count) prompts differ, e.g. " + mismatches.prefix(3).joined(separator: ", ") }
            results.append(r)
        }
        return results
    }
}
