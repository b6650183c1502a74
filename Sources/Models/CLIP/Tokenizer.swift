import Foundation

/// OpenAI CLIP's byte-level BPE tokenizer (`clip/simple_tokenizer.py` + `clip.tokenize`),
/// giving exactly the reference ids (reference.md 4.7): ftfy-style cleaning, lower-casing,
/// the `regex` split, byte-to-unicode mapping and BPE with per-word caching.
public final class CLIPTokenizer: Sendable {
    /// `<|startoftext|>` and `<|endoftext|>` of the released vocabulary.
    public static let startOfText = 49406
    public static let endOfText = 49407

    /// The start and end ids of this vocabulary (the last two entries; 49406 and 49407 for
    /// `bpe_simple_vocab_16e6.txt.gz`).
    public let startOfTextID: Int
    public let endOfTextID: Int
    /// Number of token ids (49,408 for the released vocabulary).
    public var vocabularySize: Int { vocabulary.tokens.count }

    let vocabulary: BPEVocabulary
    private let cache = WordCache()

    /// Loads the merges file (`bpe_simple_vocab_16e6.txt.gz`, read through zlib).
    public init(vocabularyPath: String) throws {
        vocabulary = try BPEVocabulary(path: vocabularyPath)
        startOfTextID = vocabulary.startOfText
        endOfTextID = vocabulary.endOfText
    }

    /// The cleaned text the reference splits: `whitespace_clean(basic_clean(text)).lower()`.
    public func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(TextCleaning.clean(text)))
    }

    /// `SimpleTokenizer.encode`: the BPE ids of `text`, without start/end tokens.
    public func encode(_ text: String) -> [Int] {
        let scalars = TextCleaning.clean(text)
        var ids: [Int] = []
        var bytes: [UInt8] = []
        for range in Self.split(scalars) {
            bytes.removeAll(keepingCapacity: true)
            for c in scalars[range] { bytes.append(contentsOf: UTF8.encode(c)!) }
            ids.append(contentsOf: bpe(bytes))
        }
        return ids
    }

    /// `clip.tokenize` for one text: `[SOT] + encode(text) + [EOT]`, zero-padded to
    /// `contextLength`. Longer input throws, or with `truncate` keeps the first
    /// `contextLength` ids with the last set to EOT.
    public func tokenize(_ text: String, contextLength: Int = 77, truncate: Bool = true) throws -> [Int32] {
        guard contextLength >= 1 else {
            throw ModelError.invalidInput("CLIP tokenizer: context length must be at least 1, got \(contextLength)")
        }
        var tokens = [startOfTextID] + encode(text) + [endOfTextID]
        if tokens.count > contextLength {
            guard truncate else {
                throw ModelError.invalidInput("Input \(text) is too long for context length \(contextLength) "
                    + "(\(tokens.count) tokens with start and end; pass truncate: true to cut it)")
            }
            tokens.removeLast(tokens.count - contextLength)
            tokens[contextLength - 1] = endOfTextID
        }
        var out = [Int32](repeating: 0, count: contextLength)
        for (i, t) in tokens.enumerated() { out[i] = Int32(t) }
        return out
    }

    /// `tokenize` for several texts: `[texts.count * contextLength]` ids, row-major.
    public func tokenize(_ texts: [String], contextLength: Int = 77, truncate: Bool = true) throws -> [Int32] {
        try texts.flatMap { try tokenize($0, contextLength: contextLength, truncate: truncate) }
    }

    /// The vocabulary string of an id (`</w>` marks a word end; bytes appear as the
    /// byte-to-unicode characters), or nil outside the vocabulary.
    public func tokenString(_ id: Int) -> String? {
        vocabulary.tokens.indices.contains(id) ? vocabulary.tokens[id] : nil
    }

    /// `SimpleTokenizer.decode`: the bytes of the tokens as UTF-8 (invalid sequences
    /// replaced), `</w>` -> space.
    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard let token = tokenString(id) else { continue }
            for c in token.unicodeScalars {
                // Scalars outside the byte table (only in the special tokens) are kept as UTF-8.
                if let b = BPEVocabulary.scalarToByte[c.value] { bytes.append(b) } else { bytes.append(contentsOf: UTF8.encode(c)!) }
            }
        }
        return String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "</w>", with: " ")
    }

    // MARK: Split

    /// The reference pattern (with `regex.IGNORECASE`) as `findall` applies it:
    /// `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`.
    ///
    /// Under IGNORECASE `regex` matches U+0345 (which case-folds to the letter U+03B9 but is a
    /// mark) with no alternative, so it is dropped like whitespace.
    static func split(_ s: [Unicode.Scalar]) -> [Range<Int>] {
        let ignored: Unicode.Scalar = "\u{345}"
        var out: [Range<Int>] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            if let n = matchSpecial(s, i) ?? matchContraction(s, i) {
                out.append(i..<(i + n)); i += n
            } else if TextCleaning.isLetter(c) {
                var j = i + 1
                while j < s.count && TextCleaning.isLetter(s[j]) { j += 1 }
                out.append(i..<j); i = j
            } else if TextCleaning.isNumber(c) {
                out.append(i..<(i + 1)); i += 1
            } else if !TextCleaning.isPythonSpace(c) && c != ignored {
                var j = i + 1
                while j < s.count && !TextCleaning.isPythonSpace(s[j]) && !TextCleaning.isLetter(s[j])
                    && !TextCleaning.isNumber(s[j]) && s[j] != ignored { j += 1 }
                out.append(i..<j); i = j
            } else {
                i += 1
            }
        }
        return out
    }

    /// Case-insensitive match of an ASCII literal as `regex` folds it (`ſ` matches `s`,
    /// the Kelvin sign `k`).
    private static func matchLiteral(_ s: [Unicode.Scalar], _ i: Int, _ literal: String) -> Int? {
        var j = i
        for l in literal.unicodeScalars {
            guard j < s.count else { return nil }
            let c = s[j].value, v = l.value
            let lower = (0x41...0x5A).contains(v) ? v + 32 : v
            let same = c == lower || ((0x61...0x7A).contains(lower) && c == lower - 32)
                || (lower == 0x73 && c == 0x17F) || (lower == 0x6B && c == 0x212A)
            guard same else { return nil }
            j += 1
        }
        return j - i
    }

    private static func matchSpecial(_ s: [Unicode.Scalar], _ i: Int) -> Int? {
        guard s[i] == "<" else { return nil }
        return matchLiteral(s, i, "<|startoftext|>") ?? matchLiteral(s, i, "<|endoftext|>")
    }

    private static func matchContraction(_ s: [Unicode.Scalar], _ i: Int) -> Int? {
        guard s[i] == "'" else { return nil }
        for suffix in ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"] {
            if let n = matchLiteral(s, i, suffix) { return n }
        }
        return nil
    }

    // MARK: BPE

    private static let startToken = Array("<|startoftext|>".utf8), endToken = Array("<|endoftext|>".utf8)

    /// `SimpleTokenizer.bpe` on the UTF-8 bytes of one split token, mapped to ids.
    func bpe(_ bytes: [UInt8]) -> [Int] {
        if let cached = cache.get(bytes) { return cached }
        // The reference cache starts with the special tokens, which map to themselves.
        if bytes == Self.startToken { return [startOfTextID] }
        if bytes == Self.endToken { return [endOfTextID] }
        let v = vocabulary
        var word = [Int32]()
        word.reserveCapacity(bytes.count)
        for (k, b) in bytes.enumerated() {
            word.append(v.byteSymbols[k == bytes.count - 1 ? 256 + Int(b) : Int(b)])
        }
        var next = [Int32]()
        while word.count > 1 {
            var best: BPEVocabulary.Merge?
            var bestPair: (Int32, Int32) = (0, 0)
            for k in 0..<(word.count - 1) {
                if let m = v.merges[BPEVocabulary.pairKey(word[k], word[k + 1])], m.rank < best?.rank ?? .max {
                    best = m
                    bestPair = (word[k], word[k + 1])
                }
            }
            guard let merge = best else { break }
            next.removeAll(keepingCapacity: true)
            var k = 0
            while k < word.count {
                if k < word.count - 1 && word[k] == bestPair.0 && word[k + 1] == bestPair.1 {
                    next.append(merge.merged)
                    k += 2
                } else {
                    next.append(word[k])
                    k += 1
                }
            }
            swap(&word, &next)
        }
        let ids = word.map { Int($0) }
        cache.set(bytes, ids)
        return ids
    }
}

/// The per-word BPE cache, shared by threads.
private final class WordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [[UInt8]: [Int]] = [:]
    private let limit = 100_000

    func get(_ key: [UInt8]) -> [Int]? {
        lock.lock(); defer { lock.unlock() }
        return entries[key]
    }

    func set(_ key: [UInt8], _ value: [Int]) {
        lock.lock(); defer { lock.unlock() }
        if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
        entries[key] = value
    }
}
