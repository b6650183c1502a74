import Foundation
import Models
import XCTest

/// The CLIP tokenizer against the reference ids: every prompt of `fixtures/clip/tokens.json`,
/// the prompts of `fixtures/clip/cases.*`, and the test vectors of reference.md 4.7.
final class TokenizerTests: XCTestCase {
    // MARK: Fixture location

    /// `CFCLIP_FIXTURES`, else `../shared/fixtures` beside the package root.
    static let fixturesPath: String = {
        if let env = ProcessInfo.processInfo.environment["CFCLIP_FIXTURES"], !env.isEmpty { return env }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("../shared/fixtures").standardized.path
    }()

    static var vocabularyPath: String {
        URL(fileURLWithPath: fixturesPath).appendingPathComponent("../clip/bpe_simple_vocab_16e6.txt.gz").standardized.path
    }

    /// One tokenizer for all tests (the vocabulary takes a moment to build).
    nonisolated(unsafe) private static var shared: CLIPTokenizer?
    private static let sharedLock = NSLock()

    /// The tokenizer on the real vocabulary, or skip (fail when `CI=true`) if the fixtures
    /// or the vocabulary are missing.
    private func tokenizer(file: StaticString = #filePath, line: UInt = #line) throws -> CLIPTokenizer? {
        for path in [Self.fixturesPath + "/clip", Self.vocabularyPath] where !FileManager.default.fileExists(atPath: path) {
            let message = "CLIP fixtures not found: looked for \(path) (set CFCLIP_FIXTURES to the fixtures folder)"
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                XCTFail(message, file: file, line: line)
                return nil
            }
            throw XCTSkip(message)
        }
        Self.sharedLock.lock(); defer { Self.sharedLock.unlock() }
        if let t = Self.shared { return t }
        let t = try CLIPTokenizer(vocabularyPath: Self.vocabularyPath)
        Self.shared = t
        return t
    }

    private func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixturesPath + "/clip/" + name))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    // MARK: Golden prompts

    func testEveryPromptOfTokensJSON() throws {
        guard let tok = try tokenizer() else { return }
        let fixture = try json("tokens.json")
        let prompts = try XCTUnwrap(fixture["prompts"] as? [[String: Any]])
        XCTAssertGreaterThan(prompts.count, 0)
        XCTAssertEqual(fixture["sot"] as? Int, CLIPTokenizer.startOfText)
        XCTAssertEqual(fixture["eot"] as? Int, CLIPTokenizer.endOfText)
        let context = fixture["context_length"] as? Int ?? 77

        var mismatches: [String] = []
        for (index, p) in prompts.enumerated() {
            let text = try XCTUnwrap(p["text"] as? String)
            let cleaned = tok.clean(text)
            let bpe = tok.encode(text)
            let ids = try tok.tokenize(text, contextLength: context, truncate: true).map(Int.init)
            var problems: [String] = []
            if let want = p["cleaned"] as? String, !cleaned.unicodeScalars.elementsEqual(want.unicodeScalars) {
                problems.append("cleaned \(debug(cleaned)) != \(debug(want))")
            }
            if let want = p["bpe_ids"] as? [Int], bpe != want { problems.append("bpe_ids \(bpe) != \(want)") }
            if let want = p["bpe_tokens"] as? [String] {
                let got = bpe.map { tok.tokenString($0) ?? "?" }
                if got != want { problems.append("bpe_tokens \(got) != \(want)") }
            }
            if let want = p["ids"] as? [Int], ids != want { problems.append("ids \(ids) != \(want)") }
            if let want = p["truncated"] as? Bool, want != (bpe.count + 2 > context) {
                problems.append("truncated should be \(want)")
            }
            if !problems.isEmpty {
                mismatches.append("#\(index) \(debug(text)): " + problems.joined(separator: "; "))
            }
        }
        let matched = prompts.count - mismatches.count
        print("tokens.json: \(matched)/\(prompts.count) prompts match (cleaned, bpe_ids, bpe_tokens, ids)")
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) of \(prompts.count) prompts differ; first: \n"
            + mismatches.prefix(5).joined(separator: "\n"))
    }

    func testCasePromptsMatchCasesSafetensors() throws {
        guard let tok = try tokenizer() else { return }
        let cases = try json("cases.json")
        let prompts = try XCTUnwrap(cases["prompts"] as? [String])
        let entries = try XCTUnwrap(cases["tensors"] as? [[String: Any]])
        let name = try XCTUnwrap(entries.first { ($0["dtype"] as? String) == "int32" && ($0["name"] as? String)?.hasPrefix("in.") == true
            && ($0["shape"] as? [Int])?.last == 77 }?["name"] as? String, "no int32 [N,77] input in cases.json")
        let (shape, expected) = try readInt32Tensor(Self.fixturesPath + "/clip/cases.safetensors", name: name)
        XCTAssertEqual(shape, [prompts.count, 77])
        let got = try tok.tokenize(prompts, contextLength: 77, truncate: true)
        for (i, prompt) in prompts.enumerated() {
            XCTAssertEqual(Array(got[(i * 77)..<((i + 1) * 77)]), Array(expected[(i * 77)..<((i + 1) * 77)]),
                           "prompt #\(i) \(debug(prompt))")
        }
    }

    func testSpecVectors() throws {
        guard let tok = try tokenizer() else { return }
        let vectors: [(String, [Int])] = [
            ("Hello World!", [49406, 3306, 1002, 256, 49407]),
            ("green lipstick", [49406, 1901, 15618, 49407]),
            ("face", [49406, 1710, 49407]),
            ("tiger stripes", [49406, 6531, 14239, 49407]),
            ("Mohawk hairstyle", [49406, 34942, 22324, 49407]),
            ("a bad photo of a face.", [49406, 320, 2103, 1125, 539, 320, 1710, 269, 49407]),
            ("a photo of the hard to see face.", [49406, 320, 1125, 539, 518, 1626, 531, 862, 1710, 269, 49407]),
            ("it's 2022 &amp; café", [49406, 585, 568, 273, 271, 273, 273, 261, 15304, 49407]),
            ("  multiple   spaces\tand\nnewline ", [49406, 6470, 9006, 537, 1218, 1148, 49407]),
        ]
        for (text, want) in vectors {
            let ids = try tok.tokenize(text)
            XCTAssertEqual(ids.count, 77)
            XCTAssertEqual(ids.prefix(want.count).map(Int.init), want, debug(text))
            XCTAssert(ids.dropFirst(want.count).allSatisfy { $0 == 0 }, "padding of \(debug(text))")
        }
        XCTAssertEqual(tok.vocabularySize, 49408)
        XCTAssertEqual(tok.startOfTextID, CLIPTokenizer.startOfText)
        XCTAssertEqual(tok.endOfTextID, CLIPTokenizer.endOfText)
        XCTAssertEqual(tok.tokenString(64), "a")
        XCTAssertEqual(tok.tokenString(320), "a</w>")
        XCTAssertEqual(tok.tokenString(0), "!")
        XCTAssertEqual(tok.encode("it's 2022 &amp; café").map { tok.tokenString($0)! },
                       ["it</w>", "'s</w>", "2</w>", "0</w>", "2</w>", "2</w>", "&</w>", "cafÃ©</w>"])
        XCTAssertEqual(tok.decode(tok.encode("Hello World!")), "hello world ! ")
        XCTAssertEqual(tok.clean("cafÃ© crÃ¨me &lt;b&gt; ＡＢＣ ﬁne “q”\u{85}x"), "café crème <b> abc fine \"q\"…x")
    }

    func testTruncation() throws {
        guard let tok = try tokenizer() else { return }
        let long = Array(repeating: "green lipstick", count: 50).joined(separator: " ")
        XCTAssertThrowsError(try tok.tokenize(long, truncate: false)) { error in
            XCTAssert("\(error)".contains("too long for context length 77"), "\(error)")
        }
        let ids = try tok.tokenize(long, truncate: true)
        XCTAssertEqual(ids.count, 77)
        XCTAssertEqual(ids.first, 49406)
        XCTAssertEqual(ids.last, 49407)
        XCTAssertEqual(Array(ids[1..<76]).map(Int.init), Array(tok.encode(long).prefix(75)))
        // Exactly 77 with start and end fits without truncation.
        let fits = Array(repeating: "a", count: 75).joined(separator: " ")
        XCTAssertEqual(try tok.tokenize(fits, truncate: false).last, 49407)
        XCTAssertThrowsError(try tok.tokenize(fits + " a", truncate: false))
        XCTAssertEqual(try tok.tokenize("green lipstick", contextLength: 3, truncate: true), [49406, 1901, 49407])
        XCTAssertEqual(try tok.tokenize("", contextLength: 4), [49406, 49407, 0, 0])
        XCTAssertThrowsError(try tok.tokenize("x", contextLength: 0))
    }

    func testConcurrentEncodingMatchesSerial() throws {
        guard let tok = try tokenizer() else { return }
        let texts = (0..<64).map { "prompt \($0): a face with green lipstick, cafÃ© №\($0 % 7) 😀 \($0 * 7919)" }
        let serial = texts.map { tok.encode($0) }
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var values: [[Int]]
            init(_ n: Int) { values = Array(repeating: [], count: n) }
        }
        let results = Results(texts.count)
        DispatchQueue.concurrentPerform(iterations: texts.count) { i in
            let ids = tok.encode(texts[i])
            results.lock.lock(); results.values[i] = ids; results.lock.unlock()
        }
        XCTAssertEqual(results.values, serial)
    }

    // MARK: Without fixtures

    func testMissingVocabularyErrorNamesThePath() {
        let path = NSTemporaryDirectory() + "no-such-dir-\(UUID().uuidString)/bpe_simple_vocab_16e6.txt.gz"
        XCTAssertThrowsError(try CLIPTokenizer(vocabularyPath: path)) { error in
            XCTAssert("\(error)".contains(path), "\(error)")
        }
    }

    func testCorruptGzipIsOneLineError() throws {
        let path = NSTemporaryDirectory() + "corrupt-\(UUID().uuidString).txt.gz"
        var bytes: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]
        bytes += (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try CLIPTokenizer(vocabularyPath: path)) { error in
            let text = "\(error)"
            XCTAssert(text.contains(path) && text.contains("gzip") && !text.contains("\n"), text)
        }
    }

    /// A small plain-text merges file (zlib reads uncompressed files as they are): the BPE
    /// rules, the vocabulary layout and Python's quirk that a trailing newline adds an
    /// empty merge (an extra, empty vocabulary entry).
    func testSmallVocabularyFollowsTheReferenceLayout() throws {
        let tok = try smallTokenizer()
        XCTAssertEqual(tok.vocabularySize, 512 + 5 + 2)
        XCTAssertEqual(tok.startOfTextID, 517)
        XCTAssertEqual(tok.endOfTextID, 518)
        XCTAssertEqual(tok.encode("Hello"), [515])
        XCTAssertEqual(tok.tokenString(515), "hello</w>")
        // "help": h e l p</w> -> he l p</w> -> hel p</w>.
        XCTAssertEqual(tok.encode("help").map { tok.tokenString($0)! }, ["hel", "p</w>"])
        // Byte-level fallback: one symbol per UTF-8 byte, the last with </w>.
        XCTAssertEqual(tok.encode("é").map { tok.tokenString($0)! }, ["Ã", "©</w>"])
        XCTAssertEqual(tok.encode("<|endoftext|>"), [518])
        XCTAssertEqual(try tok.tokenize("hello", contextLength: 4), [517, 515, 518, 0])
        XCTAssertEqual(tok.clean("  It's\u{00A0}ΟΔΟΣ  &AMP; "), "it's οδος &")
    }

    /// `whitespace_clean(basic_clean(text)).lower()` as computed by Python with ftfy 6.3.1:
    /// mojibake (Windows-1252, Latin-1, Windows-1251, C1 controls, double encoding), HTML
    /// entities (ftfy's all-caps forms, no unescaping by ftfy on a line with '<'), terminal
    /// escapes, control characters, width forms, ligatures, quotes, line breaks, final sigma.
    func testCleaningMatchesFtfy() throws {
        let tok = try smallTokenizer()
        let cases: [(String, String)] = [
            ("\u{E2}\u{20AC}\u{153}quoted\u{E2}\u{20AC}\u{9D}",
             "\"quoted\""),
            ("\u{E2}\u{20AC}\u{153} like this \u{E2}\u{20AC}\u{FFFD}",
             "\" like this \u{FFFD}"),
            ("na\u{C3}\u{AF}ve caf\u{C3}\u{A9}",
             "na\u{EF}ve caf\u{E9}"),
            ("The Mona Lisa doesn\u{C3}\u{192}\u{C2}\u{A2}\u{C3}\u{A2}\u{E2}\u{20AC}\u{161}\u{C2}\u{AC}\u{C3}\u{A2}\u{E2}\u{20AC}\u{17E}\u{C2}\u{A2}t have eyebrows.",
             "the mona lisa doesn't have eyebrows."),
            ("\u{420}\u{45F}\u{421}\u{402}\u{420}\u{451}\u{420}\u{406}\u{420}\u{B5}\u{421}\u{201A}",
             "\u{43F}\u{440}\u{438}\u{432}\u{435}\u{442}"),
            ("voil\u{C3}  \u{C3}  la",
             "voil\u{E0} \u{E0} la"),
            ("l\u{2019}\u{C3}\u{A9}t\u{C3}\u{A9}",
             "l'\u{E9}t\u{E9}"),
            ("It\u{92}s \u{93}ok\u{94}\u{85}",
             "it's \"ok\"\u{2026}"),
            ("\u{C2}\u{A3}100 \u{C2}\u{A9}2024",
             "\u{A3}100 \u{A9}2024"),
            ("&amp;amp; &#39; &#x263A; &EACUTE; &nTILDE; &notit; &ampx &#128;",
             "& ' \u{263A} \u{E9} &ntilde; \u{AC}it; &x \u{20AC}"),
            ("<b>&amp;lt;</b>",
             "<b><</b>"),
            ("first &lt;\u{A}second < &amp;lt;",
             "first < second < <"),
            ("\u{1B}[1;31mred\u{1B}[0m \u{7}bell\u{FEFF}",
             "red bell"),
            ("\u{FF21}\u{FF22}\u{FF23}\u{FF11}\u{FF12}\u{FF13}\u{3000}\u{FF76}\u{FF9E} \u{FB01}ne \u{132}ssel",
             "abc123 \u{30AC} fine ijssel"),
            ("\u{201C}smart\u{201D} \u{2018}quotes\u{2019} \u{2BC}x",
             "\"smart\" 'quotes' 'x"),
            ("a\u{2028}b\u{D}\u{A}c\u{D}d",
             "a b c d"),
            ("\u{39F}\u{394}\u{39F}\u{3A3} \u{130}stanbul \u{1E9E}",
             "\u{3BF}\u{3B4}\u{3BF}\u{3C2} i\u{307}stanbul \u{DF}"),
            ("e\u{301} \u{C5}",
             "\u{E9} \u{E5}"),
        ]
        for (text, want) in cases {
            let got = tok.clean(text)
            XCTAssert(got.unicodeScalars.elementsEqual(want.unicodeScalars), "\(debug(text)) -> \(debug(got)), want \(debug(want))")
        }
    }

    // MARK: Helpers

    /// A tokenizer on a four-merge plain-text vocabulary (no fixtures needed).
    private func smallTokenizer() throws -> CLIPTokenizer {
        let path = NSTemporaryDirectory() + "vocab-\(UUID().uuidString).txt"
        try "#version: 0.2\nh e\nl o</w>\nhe l\nhel lo</w>\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try CLIPTokenizer(vocabularyPath: path)
    }

    private func debug(_ s: String) -> String {
        "\"" + s.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined() + "\""
    }

    /// Reads one int32 tensor of a safetensors file (8-byte header length, JSON header, data).
    private func readInt32Tensor(_ path: String, name: String) throws -> ([Int], [Int32]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        let entry = try XCTUnwrap(header[name] as? [String: Any], "\(name) not in \(path)")
        XCTAssertEqual(entry["dtype"] as? String, "I32")
        let shape = try XCTUnwrap(entry["shape"] as? [Int])
        let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
        let bytes = data.subdata(in: (8 + headerLength + offsets[0])..<(8 + headerLength + offsets[1]))
        let values = stride(from: 0, to: bytes.count, by: 4).map { k in
            Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[bytes.startIndex + k + $1]) << (8 * $1) })
        }
        return (shape, values)
    }
}
