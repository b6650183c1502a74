import CZlib
import Foundation

/// The CLIP BPE vocabulary, built from `bpe_simple_vocab_16e6.txt.gz` exactly as
/// `simple_tokenizer.SimpleTokenizer.__init__` builds it (reference.md 4.7):
/// the 256 byte characters, the same with `</w>`, one entry per merge, then
/// `<|startoftext|>` and `<|endoftext|>`.
struct BPEVocabulary: Sendable {
    /// Merge lines used: Python's `merges[1 : 49152 - 256 - 2 + 1]`.
    static let mergeLimit = 49152 - 256 - 2

    /// Token strings by id (the reference `decoder`).
    let tokens: [String]
    /// Token string -> id (the reference `encoder`; a duplicate string keeps its last id).
    let encoder: [String: Int]
    /// Adjacent symbol pair `(left << 32 | right)` -> its merge rank and the merged symbol.
    let merges: [UInt64: Merge]
    /// Symbol id of byte `b` inside a word (`[b]`) and at its end (`[256 + b]`, with `</w>`).
    let byteSymbols: [Int32]
    let startOfText: Int
    let endOfText: Int

    struct Merge: Sendable {
        let rank: Int32
        let merged: Int32
    }

    /// The reference `bytes_to_unicode()`: byte value -> printable scalar. The 188 printable
    /// bytes (33...126, 161...172, 174...255) map to themselves, every other byte b, in
    /// increasing order, to 256 + n.
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var n: UInt32 = 0
        for b in 0..<256 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(256 + n)!
                n += 1
            }
        }
        return table
    }()

    /// The byte order of the reference table (`bs` list order), which is the vocabulary order.
    static let byteListOrder: [Int] = Array(33...126) + Array(161...172) + Array(174...255)
        + (0..<256).filter { !((33...126).contains($0) || (161...172).contains($0) || (174...255).contains($0)) }

    /// Scalar -> byte, the inverse of `byteToScalar`.
    static let scalarToByte: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, s) in byteToScalar.enumerated() { map[s.value] = UInt8(b) }
        return map
    }()

    /// Reads the gzip file (or, as zlib does, a plain text file) at `path`.
    init(path: String) throws {
        try self.init(text: Self.readText(path: path), source: path)
    }

    /// Builds the vocabulary from the text of the merges file.
    init(text: String, source: String) throws {
        // Python: `.split('\n')`, then merges = lines[1 : 48895], each `tuple(line.split())`.
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
            .dropFirst().prefix(Self.mergeLimit)

        var tokens: [String] = []
        tokens.reserveCapacity(512 + lines.count + 2)
        for b in Self.byteListOrder { tokens.append(String(Character(Self.byteToScalar[b]))) }
        for b in Self.byteListOrder { tokens.append(String(Character(Self.byteToScalar[b])) + "</w>") }
        var pairs: [(String, String)?] = []
        pairs.reserveCapacity(lines.count)
        for line in lines {
            let parts = line.split(whereSeparator: TextCleaning.isPythonSpace).map { String(String.UnicodeScalarView($0)) }
            tokens.append(parts.joined())
            pairs.append(parts.count == 2 ? (parts[0], parts[1]) : nil)
        }
        tokens.append("<|startoftext|>")
        tokens.append("<|endoftext|>")

        var encoder: [String: Int] = [:]
        encoder.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() { encoder[token] = id }

        // Every symbol BPE can form is a vocabulary string, so pairs work on ids. A merge whose
        // parts are not in the vocabulary can never apply and is skipped. Later duplicates win
        // as in `dict(zip(merges, range(...)))`.
        var merges: [UInt64: Merge] = [:]
        merges.reserveCapacity(pairs.count)
        for (rank, pair) in pairs.enumerated() {
            guard let (a, b) = pair, let left = encoder[a], let right = encoder[b],
                  let merged = encoder[a + b] else { continue }
            merges[Self.pairKey(Int32(left), Int32(right))] = Merge(rank: Int32(rank), merged: Int32(merged))
        }

        var byteSymbols = [Int32](repeating: 0, count: 512)
        for b in 0..<256 {
            let char = String(Character(Self.byteToScalar[b]))
            guard let inner = encoder[char], let last = encoder[char + "</w>"] else {
                throw ModelError.resource(file: source, what: "vocabulary lacks the byte token '\(char)'")
            }
            byteSymbols[b] = Int32(inner)
            byteSymbols[256 + b] = Int32(last)
        }

        self.tokens = tokens
        self.encoder = encoder
        self.merges = merges
        self.byteSymbols = byteSymbols
        self.startOfText = encoder["<|startoftext|>"]!
        self.endOfText = encoder["<|endoftext|>"]!
    }

    @inline(__always)
    static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Decompresses `path` with zlib; any failure is a one-line `ModelError` naming the file.
    static func readText(path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError.resource(file: path, what:
                "CLIP BPE vocabulary not found (bpe_simple_vocab_16e6.txt.gz from openai/CLIP)")
        }
        if isDirectory.boolValue {
            throw ModelError.resource(file: path, what:
                "is a directory; expected the CLIP BPE vocabulary file bpe_simple_vocab_16e6.txt.gz")
        }
        guard let file = gzopen(path, "rb") else {
            throw ModelError.resource(file: path, what: "cannot open the CLIP BPE vocabulary")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var failure: String?
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                var code: Int32 = 0
                failure = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
                break
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<Int(n)])
        }
        let closed = gzclose_r(file)
        if failure == nil && closed == Z_BUF_ERROR { failure = "unexpected end of the gzip stream" }
        if let failure {
            throw ModelError.resource(file: path, what: "corrupt gzip vocabulary: \(failure)")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.elementsEqual(bytes) else {
            throw ModelError.resource(file: path, what: "the CLIP BPE vocabulary is not UTF-8 text")
        }
        return text
    }
}
