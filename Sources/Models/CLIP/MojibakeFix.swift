/// ftfy's `fix_encoding` (6.3.1) and `fix_c1_controls`: text that was UTF-8 but was decoded
/// as a single-byte encoding ("mojibake", `cafÃ©` -> `café`) is re-encoded and decoded as
/// UTF-8 when ftfy's badness heuristic says it looks wrong. A port of `ftfy/__init__.py`
/// `_fix_encoding_one_step_and_explain`, `badness.py`, the byte fixers of `fixes.py`, the
/// `sloppy-*` codecs and `utf-8-variants`.
enum EncodingFix {
    typealias Scalars = [Unicode.Scalar]

    // MARK: Single-byte encodings

    struct Charmap: Sendable {
        let name: String
        let sloppy: Bool
        /// Byte -> scalar (the sloppy codecs decode 0x1A as U+FFFD).
        let decode: [Unicode.Scalar]
        /// Scalar -> byte; a text is possible in the encoding when every scalar is here.
        let encode: [UInt32: UInt8]

        init(name: String, sloppy: Bool, upper: String) {
            var decode = (0..<128).map { Unicode.Scalar(UInt8($0)) } + upper.unicodeScalars
            precondition(decode.count == 256, "charmap \(name)")
            if sloppy { decode[0x1A] = "\u{FFFD}" }
            var encode: [UInt32: UInt8] = [:]
            for (b, c) in decode.enumerated() { encode[c.value] = UInt8(b) }
            self.name = name; self.sloppy = sloppy; self.decode = decode; self.encode = encode
        }

        func encode(_ text: Scalars) -> [UInt8]? {
            var out = [UInt8]()
            out.reserveCapacity(text.count)
            for c in text {
                guard let b = encode[c.value] else { return nil }
                out.append(b)
            }
            return out
        }
    }

    /// ftfy's `CHARMAP_ENCODINGS`, in the order it tries them.
    static let charmaps: [Charmap] = [Charmap(name: "latin-1", sloppy: false,
                                              upper: String(String.UnicodeScalarView((0x80...0xFF).map { Unicode.Scalar(UInt8($0)) })))]
        + upperHalves.map { Charmap(name: $0.name, sloppy: $0.sloppy, upper: $0.chars) }

    /// Bytes 0x80...0xFF of each single-byte encoding after Latin-1, in ftfy's order.
    static let upperHalves: [(name: String, sloppy: Bool, chars: String)] = [
        ("sloppy-windows-1252", true, "€\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8D}Ž\u{8F}\u{90}‘’“”•–—˜™š›œ\u{9D}žŸ\u{A0}¡¢£¤¥¦§¨©ª«¬\u{AD}®¯°±²³´µ¶·¸¹º»¼½¾¿"
            + "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ"),
        ("sloppy-windows-1251", true, "ЂЃ‚ѓ„…†‡€‰Љ‹ЊЌЋЏђ‘’“”•–—\u{98}™љ›њќћџ\u{A0}ЎўЈ¤Ґ¦§Ё©Є«¬\u{AD}®Ї°±Ііґµ¶·ё№є»јЅѕї"
            + "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдежзийклмнопрстуфхцчшщъыьэюя"),
        ("sloppy-windows-1250", true, "€\u{81}‚\u{83}„…†‡\u{88}‰Š‹ŚŤŽŹ\u{90}‘’“”•–—\u{98}™š›śťžź\u{A0}ˇ˘Ł¤Ą¦§¨©Ş«¬\u{AD}®Ż°±˛ł´µ¶·¸ąş»Ľ˝ľż"
            + "ŔÁÂĂÄĹĆÇČÉĘËĚÍÎĎĐŃŇÓÔŐÖ×ŘŮÚŰÜÝŢßŕáâăäĺćçčéęëěíîďđńňóôőö÷řůúűüýţ˙"),
        ("sloppy-windows-1253", true, "€\u{81}‚ƒ„…†‡\u{88}‰\u{8A}‹\u{8C}\u{8D}\u{8E}\u{8F}\u{90}‘’“”•–—\u{98}™\u{9A}›\u{9C}\u{9D}\u{9E}\u{9F}\u{A0}΅Ά£¤¥¦§¨©ª«¬\u{AD}®―°±²³΄µ¶·ΈΉΊ»Ό½ΎΏ"
            + "ΐΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡÒΣΤΥΦΧΨΩΪΫάέήίΰαβγδεζηθικλμνξοπρςστυφχψωϊϋόύώÿ"),
        ("sloppy-windows-1254", true, "€\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8D}\u{8E}\u{8F}\u{90}‘’“”•–—˜™š›œ\u{9D}\u{9E}Ÿ\u{A0}¡¢£¤¥¦§¨©ª«¬\u{AD}®¯°±²³´µ¶·¸¹º»¼½¾¿"
            + "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏĞÑÒÓÔÕÖ×ØÙÚÛÜİŞßàáâãäåæçèéêëìíîïğñòóôõö÷øùúûüışÿ"),
        ("sloppy-windows-1257", true, "€\u{81}‚\u{83}„…†‡\u{88}‰\u{8A}‹\u{8C}¨ˇ¸\u{90}‘’“”•–—\u{98}™\u{9A}›\u{9C}¯˛\u{9F}\u{A0}¡¢£¤¥¦§Ø©Ŗ«¬\u{AD}®Æ°±²³´µ¶·ø¹ŗ»¼½¾æ"
            + "ĄĮĀĆÄÅĘĒČÉŹĖĢĶĪĻŠŃŅÓŌÕÖ×ŲŁŚŪÜŻŽßąįāćäåęēčéźėģķīļšńņóōõö÷ųłśūüżž˙"),
        ("iso-8859-2", false, "\u{80}\u{81}\u{82}\u{83}\u{84}\u{85}\u{86}\u{87}\u{88}\u{89}\u{8A}\u{8B}\u{8C}\u{8D}\u{8E}\u{8F}\u{90}\u{91}\u{92}\u{93}\u{94}\u{95}\u{96}\u{97}\u{98}\u{99}\u{9A}\u{9B}\u{9C}\u{9D}\u{9E}\u{9F}\u{A0}Ą˘Ł¤ĽŚ§¨ŠŞŤŹ\u{AD}ŽŻ°ą˛ł´ľśˇ¸šşťź˝žż"
            + "ŔÁÂĂÄĹĆÇČÉĘËĚÍÎĎĐŃŇÓÔŐÖ×ŘŮÚŰÜÝŢßŕáâăäĺćçčéęëěíîďđńňóôőö÷řůúűüýţ˙"),
        ("macroman", false, "ÄÅÇÉÑÖÜáàâäãåçéèêëíìîïñóòôöõúùûü†°¢£§•¶ß®©™´¨≠ÆØ∞±≤≥¥µ∂∑∏π∫ªºΩæø"
            + "¿¡¬√ƒ≈∆«»…\u{A0}ÀÃÕŒœ–—“”‘’÷◊ÿŸ⁄€‹›ﬁﬂ‡·‚„‰ÂÊÁËÈÍÎÏÌÓÔ\u{F8FF}ÒÚÛÙıˆ˜¯˘˙˚¸˝˛ˇ"),
        ("cp437", false, "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐"
            + "└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{A0}"),
    ]

    /// `sloppy-windows-1252` of one byte (bytes Windows-1252 leaves undefined stay Latin-1).
    static func cp1252Sloppy(_ b: UInt8) -> Unicode.Scalar { charmaps[1].decode[Int(b)] }

    /// `fix_c1_controls`: U+0080...U+009F read as sloppy Windows-1252.
    static func fixC1Controls(_ text: Scalars) -> Scalars {
        text.map { (0x80...0x9F).contains($0.value) ? cp1252Sloppy(UInt8($0.value)) : $0 }
    }

    // MARK: fix_encoding

    /// `fix_encoding`: one step at a time until nothing changes.
    static func fixEncoding(_ text: Scalars) -> Scalars {
        var text = text
        while true {
            let next = fixEncodingStep(text)
            if next == text { return text }
            text = next
        }
    }

    /// `_fix_encoding_one_step_and_explain`.
    static func fixEncodingStep(_ text: Scalars) -> Scalars {
        if text.isEmpty || text.allSatisfy({ $0.isASCII }) || !isBad(text) { return text }
        var latin1Possible = false
        for map in charmaps {
            guard var bytes = map.encode(text) else { continue }
            if map.name == "latin-1" { latin1Possible = true }
            if hasAltered(bytes) {
                bytes = restoreByteA0(bytes)
            }
            if map.sloppy { bytes = replace(bytes, lossyUTF8, with: [0xEF, 0xBF, 0xBD]) }
            if let fixed = decodeUTF8(bytes, variants: bytes.contains(0xED) || bytes.contains(0xC0)) {
                return fixed
            }
        }
        if let fixed = decodeInconsistentUTF8(text), fixed != text { return fixed }
        // ftfy checks for "windows-1252" among names that only hold "sloppy-windows-1252", so
        // Latin-1 text is always re-read as strict Windows-1252 here.
        if latin1Possible && !text.contains(where: { [0x81, 0x8D, 0x8F, 0x90, 0x9D].contains($0.value) }) {
            let fixed = fixC1Controls(text)
            if fixed != text { return fixed }
        }
        if text.contains(where: { (0x80...0x9F).contains($0.value) }) { return fixC1Controls(text) }
        return text
    }

    // MARK: Byte patterns

    /// A byte pattern: one byte class per position.
    typealias ByteClass = @Sendable (UInt8) -> Bool
    typealias BytePattern = [ByteClass]

    private static func any(_ set: [UInt8]) -> ByteClass { { set.contains($0) } }
    private static func range(_ r: ClosedRange<UInt8>) -> ByteClass { { r.contains($0) } }
    private static let cont = range(0x80...0xBF)
    private static let space: ByteClass = { $0 == 0x20 }
    private static let notA0: ByteClass = { (0x80...0x84).contains($0) || (0x86...0x9F).contains($0) || (0xA1...0xBF).contains($0) }

    /// `ALTERED_UTF8_RE`: UTF-8 sequences whose 0xA0 byte became a space.
    static let alteredUTF8: [BytePattern] = [
        [any([0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9]), space],
        [any([0xE2, 0xE3]), space, notA0],
        [range(0xE0...0xE3), notA0, space],
        [{ $0 == 0xF0 }, space, cont, cont],
        [{ $0 == 0xF0 }, cont, space, cont],
        [{ $0 == 0xF0 }, cont, cont, space],
    ]

    /// `LOSSY_UTF8_RE`: UTF-8 sequences with bytes lost to 0x1A (or '?').
    static let lossyUTF8: [BytePattern] = {
        let sub = any([0x1A]), subQ = any([0x1A, 0x3F])
        let subC: ByteClass = { $0 == 0x1A || (0x80...0xBF).contains($0) }
        let subQC: ByteClass = { $0 == 0x1A || $0 == 0x3F || (0x80...0xBF).contains($0) }
        let ed = any([0xED]), e = range(0xE0...0xEF), f = range(0xF0...0xF4)
        return [
            [range(0xC2...0xDF), sub], [range(0xC2...0xC3), any([0x3F])],
            [ed, range(0xA0...0xAF), subQ, ed, range(0xB0...0xBF), subQC],
            [ed, range(0xA0...0xAF), subQC, ed, range(0xB0...0xBF), subQ],
            [e, subQ, subC], [e, subC, subQ],
            [f, subQ, subC, subC], [f, subC, subQ, subC], [f, subC, subC, subQ],
            [sub],
        ]
    }()

    /// Length of `pattern` matched at `i`, or nil.
    private static func matches(_ bytes: [UInt8], _ i: Int, _ pattern: BytePattern) -> Int? {
        guard i + pattern.count <= bytes.count else { return nil }
        for (k, test) in pattern.enumerated() where !test(bytes[i + k]) { return nil }
        return pattern.count
    }

    private static func hasAltered(_ bytes: [UInt8]) -> Bool {
        bytes.indices.contains { i in alteredUTF8.contains { matches(bytes, i, $0) != nil } }
    }

    /// `re.sub` of the first matching alternative at each position, left to right.
    private static func replace(_ bytes: [UInt8], _ patterns: [BytePattern],
                                with replacement: (ArraySlice<UInt8>) -> [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + 8)
        var i = 0
        while i < bytes.count {
            if let n = patterns.lazy.compactMap({ matches(bytes, i, $0) }).first {
                out.append(contentsOf: replacement(bytes[i..<(i + n)]))
                i += n
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    private static func replace(_ bytes: [UInt8], _ patterns: [BytePattern], with fixed: [UInt8]) -> [UInt8] {
        replace(bytes, patterns) { _ in fixed }
    }

    /// `restore_byte_a0`: `A_GRAVE_WORD_RE` (`\xc3 ` not followed by ` `, `quele`, `quela`,
    /// `quilo`, `s `) -> `\xc3\xa0 `, then every `ALTERED_UTF8_RE` match gets its spaces back as 0xA0.
    static func restoreByteA0(_ bytes: [UInt8]) -> [UInt8] {
        var grave = [UInt8]()
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0xC3 && i + 1 < bytes.count && bytes[i + 1] == 0x20 {
                let rest = bytes[(i + 2)...]
                let vetoed = [" ", "quele", "quela", "quilo", "s "].contains { rest.starts(with: Array($0.utf8)) }
                if !vetoed {
                    grave.append(contentsOf: [0xC3, 0xA0, 0x20])
                    i += 2
                    continue
                }
            }
            grave.append(bytes[i])
            i += 1
        }
        return replace(grave, alteredUTF8) { $0.map { $0 == 0x20 ? 0xA0 : $0 } }
    }

    /// Python's strict UTF-8 decoder; with `variants`, ftfy's `utf-8-variants` (also CESU-8
    /// surrogate pairs and the Java NUL `C0 80`). Nil where Python raises `UnicodeDecodeError`.
    static func decodeUTF8(_ b: [UInt8], variants: Bool) -> Scalars? {
        var out = Scalars()
        out.reserveCapacity(b.count)
        var i = 0
        func isCont(_ k: Int) -> Bool { k < b.count && (0x80...0xBF).contains(b[k]) }
        func inRange(_ k: Int, _ r: ClosedRange<UInt8>) -> Bool { k < b.count && r.contains(b[k]) }
        while i < b.count {
            let c = b[i]
            if c < 0x80 { out.append(Unicode.Scalar(c)); i += 1; continue }
            if variants && c == 0xC0 && inRange(i + 1, 0x80...0x80) { out.append("\u{0}"); i += 2; continue }
            if variants && c == 0xED && i + 6 <= b.count && inRange(i + 1, 0xA0...0xAF) && isCont(i + 2)
                && b[i + 3] == 0xED && inRange(i + 4, 0xB0...0xBF) && isCont(i + 5) {
                let v = (UInt32(b[i + 1] & 0x0F) << 16) + (UInt32(b[i + 2] & 0x3F) << 10)
                    + (UInt32(b[i + 4] & 0x0F) << 6) + UInt32(b[i + 5] & 0x3F) + 0x10000
                out.append(Unicode.Scalar(v)!)
                i += 6
                continue
            }
            let second: ClosedRange<UInt8>, length: Int
            switch c {
            case 0xC2...0xDF: second = 0x80...0xBF; length = 2
            case 0xE0: second = 0xA0...0xBF; length = 3
            case 0xE1...0xEC, 0xEE...0xEF: second = 0x80...0xBF; length = 3
            case 0xED: second = 0x80...0x9F; length = 3
            case 0xF0: second = 0x90...0xBF; length = 4
            case 0xF1...0xF3: second = 0x80...0xBF; length = 4
            case 0xF4: second = 0x80...0x8F; length = 4
            default: return nil
            }
            guard inRange(i + 1, second) else { return nil }
            var v = UInt32(c) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            for k in 1..<length {
                guard isCont(i + k) else { return nil }
                v = v << 6 | UInt32(b[i + k] & 0x3F)
            }
            out.append(Unicode.Scalar(v)!)
            i += length
        }
        return out
    }

    // MARK: decode_inconsistent_utf8

    /// `UTF8_CLUES`: what bytes of UTF-8 sequences look like in the encodings ftfy derives them from.
    private struct Clues {
        let first2: Set<UInt32>, first3: Set<UInt32>, first4: Set<UInt32>, cont: Set<UInt32>, strict: Set<UInt32>
    }

    private static let clues: Clues = {
        let sources = charmaps.filter { ["latin-1", "sloppy-windows-1252", "sloppy-windows-1250", "sloppy-windows-1251",
                                         "sloppy-windows-1253", "sloppy-windows-1254", "sloppy-windows-1257"].contains($0.name) }
        func union(_ bytes: [Int]) -> Set<UInt32> { Set(sources.flatMap { m in bytes.map { m.decode[$0].value } }) }
        let cont = union(Array(0x80...0xBF))
        let loose: Set<UInt32> = [0x2013, 0x2014, 0x2015, 0x2018, 0x2019, 0x201A, 0x201C, 0x201D, 0x201E, 0x2022, 0x2026]
        return Clues(first2: union(Array(0xC2...0xDF)), first3: union(Array(0xE0...0xEF)), first4: union([0xF0, 0xF3]),
                     cont: cont.union([0x20]), strict: cont.subtracting(loose))
    }()

    /// `decode_inconsistent_utf8`: each `UTF8_DETECTOR_RE` run that is shorter than the text
    /// and looks bad is fixed on its own. Nil when the detector finds nothing.
    static func decodeInconsistentUTF8(_ text: Scalars) -> Scalars? {
        let k = clues
        func has(_ set: Set<UInt32>, _ i: Int) -> Bool { i < text.count && set.contains(text[i].value) }
        func run(_ first: Set<UInt32>, _ n: Int, at i: Int) -> Bool {
            has(first, i) && (1...n).allSatisfy { has(k.cont, i + $0) }
        }
        var out = Scalars()
        var found = false
        var p = 0
        while p < text.count {
            var q = p
            if p == 0 || !k.strict.contains(text[p - 1].value) {
                while true {
                    if run(k.first2, 1, at: q) { q += 2 } else if run(k.first3, 2, at: q) { q += 3 }
                    else if run(k.first4, 3, at: q) { q += 4 } else { break }
                }
            }
            if q == p { out.append(text[p]); p += 1; continue }
            found = true
            let part = Array(text[p..<q])
            out.append(contentsOf: part.count < text.count && isBad(part) ? fixEncoding(part) : part)
            p = q
        }
        return found ? out : nil
    }

    // MARK: badness

    /// `MOJIBAKE_CATEGORIES` of `badness.py`.
    struct Kind: OptionSet, Sendable {
        let rawValue: UInt16
        static let common = Kind(rawValue: 1 << 0), c1 = Kind(rawValue: 1 << 1), bad = Kind(rawValue: 1 << 2)
        static let law = Kind(rawValue: 1 << 3), currency = Kind(rawValue: 1 << 4)
        static let startPunct = Kind(rawValue: 1 << 5), endPunct = Kind(rawValue: 1 << 6)
        static let numeric = Kind(rawValue: 1 << 7), kaomoji = Kind(rawValue: 1 << 8)
        static let upperAccented = Kind(rawValue: 1 << 9), lowerAccented = Kind(rawValue: 1 << 10)
        static let upperCommon = Kind(rawValue: 1 << 11), lowerCommon = Kind(rawValue: 1 << 12)
        static let box = Kind(rawValue: 1 << 13)
    }

    static let kinds: [UInt32: Kind] = {
        let members: [(Kind, String)] = [
            (.c1, "\u{80}\u{81}\u{82}\u{83}\u{84}\u{85}\u{86}\u{87}\u{88}\u{89}\u{8A}\u{8B}\u{8C}\u{8D}\u{8E}\u{8F}\u{90}\u{91}\u{92}\u{93}\u{94}\u{95}\u{96}\u{97}\u{98}\u{99}\u{9A}\u{9B}\u{9C}\u{9D}\u{9E}\u{9F}"),
            (.bad, "¦¤¨¬¯¸ƒˆˇ˘˛˜†‡‰⌐◊�ªº"),
            (.law, "¶§"),
            (.currency, "¢£¥₧€"),
            (.startPunct, "¡«¿©΄΅‘‚“„•‹\u{F8FF}"),
            (.endPunct, "®»˝”›™"),
            (.numeric, "²³¹±¼½¾×µ÷⁄∂∆∏∑√∞∩∫≈≠≡≤≥№"),
            (.kaomoji, "ÒÓÔÕÖÙÚÛÜòóôõöøùúûüŐŌŪŲ°"),
            (.upperAccented, "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑØÜÝĂĀĄĆČĎĐĘĚĒĖĞĢİĪĶĹĽŁĻŃŇŅŒŘŚŞŠŢŤŮŰŸŹŻŽҐ"),
            (.lowerAccented, "ßàáâãäåæçèéêëìíîïðñăąāćčďđęěēėğģįīķĺľłļœŕśşšťüźżžґﬁﬂ"),
            (.upperCommon, "ÞΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡ\u{3A2}ΣΤΥΦΧΨΩΆΈΉΊΌΎΏΪΫЁЂЃЄЅІЇЈЉЊЋЌЍЎЏАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"),
            (.lowerCommon, "αβγδεζηθικλμνξοπρςστυφχψωάέήίΰабвгдежзийклмнопрстуфхцчшщъыьэюяѐёђѓєѕіїјљњћќѝўџ"),
            (.box, "│┌┐┘├┤┬┼═║╒╓╔╕╖╗╘╙╚╛╜╝╞╟╠╡╢╣╤╥╦╧╨╩╪╫╬▀▄█▌▐░▒▓"),
        ]
        var table: [UInt32: Kind] = [:]
        for (kind, chars) in members {
            for c in chars.unicodeScalars { table[c.value, default: []].insert(kind) }
        }
        return table
    }()

    /// `is_bad`: whether `BADNESS_RE` matches anywhere in the text.
    static func isBad(_ s: Scalars) -> Bool {
        let n = s.count
        func kind(_ i: Int) -> Kind { i < n ? kinds[s[i].value] ?? [] : [] }
        func at(_ i: Int) -> UInt32 { i < n ? s[i].value : 0xFFFF_FFFF }
        func isIn(_ i: Int, _ chars: String) -> Bool { i < n && chars.unicodeScalars.contains(s[i]) }
        func lowerASCII(_ i: Int) -> Bool { (0x61...0x7A).contains(at(i)) }
        func letterASCII(_ i: Int) -> Bool { lowerASCII(i) || (0x41...0x5A).contains(at(i)) }
        func space(_ i: Int) -> Bool { i < n && TextCleaning.isPythonSpace(s[i]) }
        let accented: Kind = [.lowerAccented, .upperAccented]
        let wide: Kind = [.lowerAccented, .upperAccented, .box, .startPunct, .endPunct, .currency, .numeric, .law]
        let mojibake: Kind = [.c1, .bad, .startPunct, .endPunct, .currency]
        let arabic: Kind = [.common, .currency, .bad, .numeric, .startPunct]
        for i in 0..<n {
            let a = kind(i), b = kind(i + 1), c = kind(i + 2), x = at(i), y = at(i + 1)
            func hit(_ k: Kind, _ set: Kind) -> Bool { !k.isDisjoint(with: set) }
            if hit(a, .c1)
                || (hit(a, wide.union(.bad)) && hit(b, .bad))
                || (letterASCII(i) && hit(b, [.lowerCommon, .upperCommon]) && hit(c, .bad))
                || (hit(a, .bad) && hit(b, wide))
                || (hit(a, [.lowerAccented, .lowerCommon, .box, .endPunct, .currency, .numeric]) && hit(b, .upperAccented))
                || (hit(a, [.box, .endPunct, .currency, .numeric]) && hit(b, .lowerAccented))
                || (hit(a, [.lowerAccented, .box, .endPunct]) && hit(b, .currency))
                || (space(i) && hit(b, .upperAccented) && hit(c, .currency))
                || (hit(a, [.upperAccented, .box]) && hit(b, [.numeric, .law]))
                || (hit(a, accented.union([.box, .currency, .endPunct])) && hit(b, .startPunct) && hit(c, .numeric))
                || (hit(a, accented.union([.currency, .numeric, .box, .law])) && hit(b, .endPunct) && hit(c, .startPunct))
                || (hit(a, [.currency, .numeric, .box]) && hit(b, .startPunct))
                || (lowerASCII(i) && hit(b, .upperAccented) && hit(c, [.startPunct, .currency]))
                || (hit(a, .box) && hit(b, .kaomoji))
                || (hit(a, accented.union([.currency, .numeric, .startPunct, .endPunct, .law])) && hit(b, .box))
                || (hit(a, .box) && hit(b, .endPunct))
                || (hit(a, accented) && hit(b, [.startPunct, .endPunct]) && i + 2 < n && TextCleaning.isPythonWord(s[i + 2])) {
                return true
            }
            switch x {
            case 0x152, 0x153:  // [Œœ][^A-Za-z]
                if i + 1 < n && !letterASCII(i + 1) { return true }
            case 0xD8, 0xD9:  // ([ØÙ] [common currency bad numeric start ŸŠ®°µ»]){2}
                func arab(_ k: Int) -> Bool { hit(kind(k), arabic) || isIn(k, "ŸŠ®°µ»") }
                if arab(i + 1) && isIn(i + 2, "ØÙ") && arab(i + 3) { return true }
            case 0xD7: if isIn(i + 1, "²³") { return true }
            case 0xE0: if isIn(i + 1, "²µ¹¼½¾") { return true }
            case 0x221A: if isIn(i + 1, "±∂†≠®™´≤≥¥µø") { return true }
            case 0x2248: if isIn(i + 1, "°¢") { return true }
            case 0x201A:
                if y == 0xC4 && isIn(i + 2, "ìîïòôúùû†°¢π") { return true }
                if isIn(i + 1, "âó") && isIn(i + 2, "àä°ê") { return true }
            case 0x432: if y == 0x402 { return true }  // вЂ
            case 0x3B2: if y == 0x20AC && isIn(i + 2, "™\u{A0}Ά\u{AD}®°") { return true }  // β€
            case 0x101: if y == 0x20AC { return true }  // ā€
            case 0x413:  // ГўВЂВ.[A-Za-z ]
                if i + 6 < n && Array(s[i..<(i + 5)]) == Array("ГўВЂВ".unicodeScalars) && s[i + 5] != "\n"
                    && (letterASCII(i + 6) || at(i + 6) == 0x20) { return true }
            default: break
            }
            if hit(a, .upperAccented) && y == 0xB0 { return true }  // [upper]°
            if isIn(i, "ÂÃÎÐ") && (isIn(i + 1, "€œŠš¢£Ÿž\u{A0}\u{AD}®©°·»–—´") || hit(b, [.startPunct, .endPunct])) { return true }
            if isIn(i, "ВГРС") && (hit(b, mojibake) || isIn(i + 1, "°µ")) && isIn(i + 2, "ВГРС") { return true }
            if isIn(i, "ΒΓΞΟ") && (hit(b, mojibake) || y == 0xB0) && isIn(i + 2, "ΒΓΞΟ") { return true }
            if x == 0xC3 && (y == 0xA0 || y == 0xA1) { return true }  // Ã[\xa0¡]
            if lowerASCII(i) && ((isIn(i + 1, "ÃÂ") && at(i + 2) == 0x20)
                || (space(i + 1) && isIn(i + 2, "ÃÂ") && at(i + 3) == 0x20)) { return true }  // [a-z]\s?[ÃÂ][ ]
            if i == 0 && isIn(0, "ÃÂ") && y == 0x20 { return true }  // ^[ÃÂ][ ]
            if (lowerASCII(i) || isIn(i, ".,?!") || hit(a, .endPunct)) && y == 0xC2
                && (at(i + 2) == 0x20 || hit(c, [.startPunct, .endPunct])) { return true }
        }
        return false
    }
}
