import Foundation

/// The text cleaning of the reference tokenizer, on Unicode scalars (Python's code points):
/// `whitespace_clean(basic_clean(text)).lower()` with `basic_clean` = `ftfy.fix_text` (6.3.1,
/// default configuration), `html.unescape` twice, `strip` (reference.md 4.7).
///
/// Swift's `String ==` compares canonical equivalence; Python compares code points, so every
/// step here works on `[Unicode.Scalar]`.
enum TextCleaning {
    typealias Scalars = [Unicode.Scalar]

    static func clean(_ text: String) -> Scalars {
        let fixed = htmlUnescape(htmlUnescape(fixText(Array(text.unicodeScalars))))
        return lowercased(collapseWhitespace(fixed))
    }

    // MARK: Python character classes

    /// `str.isspace()`, which is also what `re`'s `\s` and `str.strip()`/`split()` use.
    static func isPythonSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F,
             0x205F, 0x3000: return true
        default: return false
        }
    }

    /// `re`'s `\w` on str: `isalnum()` (letters and anything with a numeric value) or `_`.
    static func isPythonWord(_ c: Unicode.Scalar) -> Bool {
        c == "_" || isLetter(c) || c.properties.numericType != nil
    }

    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// `re.sub(r'\s+', ' ', text).strip()` (which also covers `basic_clean`'s `strip`).
    static func collapseWhitespace(_ text: Scalars) -> Scalars {
        var out = Scalars()
        out.reserveCapacity(text.count)
        var pendingSpace = false
        for c in text {
            if isPythonSpace(c) { pendingSpace = !out.isEmpty; continue }
            if pendingSpace { out.append(" "); pendingSpace = false }
            out.append(c)
        }
        return out
    }

    /// `str.lower()`: the full lowercase mapping, with Python's final-sigma rule for U+03A3.
    static func lowercased(_ text: Scalars) -> Scalars {
        var out = Scalars()
        out.reserveCapacity(text.count)
        for (i, c) in text.enumerated() {
            if c.isASCII {
                out.append(c.properties.isUppercase ? Unicode.Scalar(c.value + 32)! : c)
            } else if c.value == 0x3A3 {
                out.append(isFinalSigma(text, i) ? "\u{3C2}" : "\u{3C3}")
            } else {
                out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    /// Python's `handle_capital_sigma`: cased, case-ignorable*, Σ, not (case-ignorable*, cased).
    private static func isFinalSigma(_ text: Scalars, _ i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && text[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0 && text[j].properties.isCased else { return false }
        j = i + 1
        while j < text.count && text[j].properties.isCaseIgnorable { j += 1 }
        return j == text.count || !text[j].properties.isCased
    }

    // MARK: ftfy.fix_text

    /// `ftfy.fix_text`: fixes each line (up to and including its `\n`) to a fixed point. HTML
    /// entities are decoded until the first line that contains `<` (`unescape_html='auto'`).
    static func fixText(_ text: Scalars) -> Scalars {
        var out = Scalars()
        out.reserveCapacity(text.count)
        var unescape = true
        var pos = 0
        while pos < text.count {
            var end = text[pos...].firstIndex(of: "\n").map { $0 + 1 } ?? text.count
            end = min(end, pos + 1_000_000)  // max_decode_length
            let segment = Array(text[pos..<end])
            if unescape && segment.contains("<") { unescape = false }
            out.append(contentsOf: fixSegment(segment, unescapeHTML: unescape))
            pos = end
        }
        return out
    }

    /// `ftfy.fix_and_explain`: the fixers in ftfy's order, repeated until nothing changes.
    static func fixSegment(_ text: Scalars, unescapeHTML: Bool) -> Scalars {
        var text = text
        while true {
            let before = text
            if unescapeHTML { text = ftfyUnescapeHTML(text) }
            text = EncodingFix.fixEncoding(text)
            text = EncodingFix.fixC1Controls(text)
            text = mapScalars(text) { ligatures[$0.value] }
            text = mapScalars(text) { c in
                c.value == 0x3000 ? [" "] : (0xFF01...0xFFEF).contains(c.value) ? widthMap[Int(c.value - 0xFF01)] : nil
            }
            text = mapScalars(text) { c in
                switch c.value {
                case 0x2BC, 0x2018...0x201B: return ["'"]
                case 0x201C...0x201F: return ["\""]
                default: return nil
                }
            }
            text = fixLineBreaks(text)
            text = removeTerminalEscapes(text)
            text = text.filter { !isRemovedControl($0.value) }
            text = Array(String(String.UnicodeScalarView(text)).precomposedStringWithCanonicalMapping.unicodeScalars)
            if text == before { return text }
        }
    }

    private static func mapScalars(_ text: Scalars, _ map: (Unicode.Scalar) -> Scalars?) -> Scalars {
        var out = Scalars()
        out.reserveCapacity(text.count)
        for c in text {
            if let m = map(c) { out.append(contentsOf: m) } else { out.append(c) }
        }
        return out
    }

    /// `fix_latin_ligatures`.
    static let ligatures: [UInt32: Scalars] = {
        let pairs: [(UInt32, String)] = [
            (0x132, "IJ"), (0x133, "ij"), (0x149, "\u{2BC}n"), (0x1F1, "DZ"), (0x1F2, "Dz"), (0x1F3, "dz"),
            (0x1C4, "D\u{17D}"), (0x1C5, "D\u{17E}"), (0x1C6, "d\u{17E}"), (0x1C7, "LJ"), (0x1C8, "Lj"),
            (0x1C9, "lj"), (0x1CA, "NJ"), (0x1CB, "Nj"), (0x1CC, "nj"), (0xFB00, "ff"), (0xFB01, "fi"),
            (0xFB02, "fl"), (0xFB03, "ffi"), (0xFB04, "ffl"), (0xFB05, "\u{17F}t"), (0xFB06, "st"),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.map { ($0.0, Array($0.1.unicodeScalars)) })
    }()

    /// `fix_character_width`: U+FF01...U+FFEF -> NFKC where that differs, else unchanged.
    static let widthMap: [Scalars?] = (0xFF01...0xFFEF).map { v in
        let c = Unicode.Scalar(UInt32(v))!
        let nfkc = Array(String(Character(c)).precomposedStringWithCompatibilityMapping.unicodeScalars)
        return nfkc == [c] ? nil : nfkc
    }

    /// `fix_line_breaks`: CRLF, CR, U+2028, U+2029, U+0085 -> LF.
    static func fixLineBreaks(_ text: Scalars) -> Scalars {
        var out = Scalars()
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            switch text[i].value {
            case 0x0D:
                out.append("\n")
                if i + 1 < text.count && text[i + 1] == "\n" { i += 1 }
            case 0x2028, 0x2029, 0x85: out.append("\n")
            default: out.append(text[i])
            }
            i += 1
        }
        return out
    }

    /// `remove_terminal_escapes`: `\x1b\[(\d|;)*[a-zA-Z]` removed (`\d` = Unicode Nd).
    static func removeTerminalEscapes(_ text: Scalars) -> Scalars {
        guard text.contains("\u{1B}") else { return text }
        var out = Scalars()
        var i = 0
        while i < text.count {
            if text[i] == "\u{1B}" && i + 1 < text.count && text[i + 1] == "[" {
                var j = i + 2
                while j < text.count && (text[j] == ";" || text[j].properties.generalCategory == .decimalNumber) { j += 1 }
                if j < text.count && text[j].isASCII && text[j].properties.isAlphabetic {
                    i = j + 1
                    continue
                }
            }
            out.append(text[i])
            i += 1
        }
        return out
    }

    /// `remove_control_chars`: C0 controls but tab, LF, FF, CR; DEL; U+206A-206F; BOM; U+FFF9-FFFC.
    static func isRemovedControl(_ v: UInt32) -> Bool {
        switch v {
        case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC: return true
        default: return false
        }
    }

    // MARK: HTML entities

    /// ftfy's `unescape_html`: `&#?[0-9A-Za-z]{1,24};` replaced when it names an entity (with its
    /// semicolon), an all-caps form of a lowercase entity, or a valid character reference.
    static func ftfyUnescapeHTML(_ text: Scalars) -> Scalars {
        guard text.contains("&") else { return text }
        var out = Scalars()
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            guard text[i] == "&" else { out.append(text[i]); i += 1; continue }
            let numeric = i + 1 < text.count && text[i + 1] == "#"
            let start = numeric ? i + 2 : i + 1
            var end = start
            while end < text.count && isASCIIAlnum(text[end]) { end += 1 }
            guard end > start && end - start <= 24 && end < text.count && text[end] == ";" else {
                out.append(text[i]); i += 1; continue
            }
            let match = Array(text[i...end])
            let name = String(String.UnicodeScalarView(text[start..<end]))
            if numeric {
                let decoded = htmlUnescape(match)
                out.append(contentsOf: decoded.contains(";") ? match : decoded)
            } else if let value = HTMLEntities.ftfy(name) {
                out.append(contentsOf: value)
            } else {
                out.append(contentsOf: match)
            }
            i = end + 1
        }
        return out
    }

    private static func isASCIIAlnum(_ c: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(c) || ("a"..."z").contains(c) || ("A"..."Z").contains(c)
    }

    /// Python's `html.unescape`: `&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)`.
    static func htmlUnescape(_ text: Scalars) -> Scalars {
        guard text.contains("&") else { return text }
        var out = Scalars()
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            guard text[i] == "&", i + 1 < text.count else { out.append(text[i]); i += 1; continue }
            if text[i + 1] == "#" {
                let hex = i + 2 < text.count && (text[i + 2] == "x" || text[i + 2] == "X")
                let start = hex ? i + 3 : i + 2
                var end = start
                var value: UInt64 = 0
                while end < text.count, let d = digitValue(text[end], hex: hex) {
                    value = min(value * (hex ? 16 : 10) + UInt64(d), 0x1_0000_0000)
                    end += 1
                }
                // `#[0-9]+` is tried before `#[xX]...`; "&#x" without hex digits matches nothing.
                guard end > start else { out.append(text[i]); i += 1; continue }
                if end < text.count && text[end] == ";" { end += 1 }
                out.append(contentsOf: numericCharref(value))
                i = end
                continue
            }
            var end = i + 1
            while end < text.count && end - (i + 1) < 32 && !"\t\n\u{0C} <&#;".unicodeScalars.contains(text[end]) {
                end += 1
            }
            guard end > i + 1 else { out.append(text[i]); i += 1; continue }
            let semicolon = end < text.count && text[end] == ";"
            let name = String(String.UnicodeScalarView(text[(i + 1)..<end]))
            out.append(contentsOf: namedCharref(name, semicolon: semicolon))
            i = semicolon ? end + 1 : end
        }
        return out
    }

    private static func digitValue(_ c: Unicode.Scalar, hex: Bool) -> UInt32? {
        switch c {
        case "0"..."9": return c.value - 0x30
        case "a"..."f" where hex: return c.value - 0x61 + 10
        case "A"..."F" where hex: return c.value - 0x41 + 10
        default: return nil
        }
    }

    private static func numericCharref(_ n: UInt64) -> Scalars {
        if n == 0 { return ["\u{FFFD}"] }
        if n == 0x0D { return ["\r"] }
        if (0x80...0x9F).contains(n) { return [EncodingFix.cp1252Sloppy(UInt8(n))] }
        if (0xD800...0xDFFF).contains(n) || n > 0x10FFFF { return ["\u{FFFD}"] }
        switch n {
        case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F...0x9F, 0xFDD0...0xFDEF: return []
        default:
            if n & 0xFFFE == 0xFFFE { return [] }
            return [Unicode.Scalar(UInt32(n))!]
        }
    }

    /// `_replace_charref` for a name: exact entry, else the longest prefix (of at least two
    /// characters) that is an entity valid without semicolon, else unchanged.
    static func namedCharref(_ name: String, semicolon: Bool) -> Scalars {
        if let v = HTMLEntities.lookup(name, semicolon: semicolon) { return v }
        let chars = Array(name.unicodeScalars)
        let total = chars.count + (semicolon ? 1 : 0)
        var x = total - 1
        while x >= 2 {
            if x <= chars.count,
               let v = HTMLEntities.lookup(String(String.UnicodeScalarView(chars[0..<x])), semicolon: false) {
                return v + chars[x...] + (semicolon ? [";"] : [])
            }
            x -= 1
        }
        return ["&"] + chars + (semicolon ? [";"] : [])
    }
}

/// HTML entity names: every HTML 4 entity plus `apos` and the HTML5 spellings that differ
/// only in case (`AMP`, `TRADE`, ...), as in Python's `html.entities.html5`. `*` marks the
/// names that are also valid without semicolon. Rarer HTML5-only names are not decoded.
enum HTMLEntities {
    static let table: [String: (value: Unicode.Scalar, bare: Bool)] = {
        let packed = """
            Aacute* c1 aacute* e1 Acirc* c2 acirc* e2 acute* b4 AElig* c6 aelig* e6 Agrave* c0 agrave* e0
            alefsym 2135 Alpha 391 alpha 3b1 AMP* 26 amp* 26 And 2a53 and 2227 ang 2220 apos 27 Aring* c5
            aring* e5 asymp 2248 Atilde* c3 atilde* e3 Auml* c4 auml* e4 bdquo 201e Beta 392 beta 3b2
            brvbar* a6 bull 2022 Cap 22d2 cap 2229 Ccedil* c7 ccedil* e7 cedil* b8 cent* a2 Chi 3a7 chi 3c7
            circ 2c6 clubs 2663 cong 2245 COPY* a9 copy* a9 crarr 21b5 Cup 22d3 cup 222a curren* a4
            Dagger 2021 dagger 2020 Darr 21a1 dArr 21d3 darr 2193 deg* b0 Delta 394 delta 3b4 diams 2666
            divide* f7 Eacute* c9 eacute* e9 Ecirc* ca ecirc* ea Egrave* c8 egrave* e8 empty 2205 emsp 2003
            ensp 2002 Epsilon 395 epsilon 3b5 equiv 2261 Eta 397 eta 3b7 ETH* d0 eth* f0 Euml* cb euml* eb
            euro 20ac exist 2203 fnof 192 ForAll 2200 forall 2200 frac12* bd frac14* bc frac34* be
            frasl 2044 Gamma 393 gamma 3b3 gE 2267 ge 2265 GT* 3e Gt 226b gt* 3e hArr 21d4 harr 2194
            hearts 2665 hellip 2026 Iacute* cd iacute* ed Icirc* ce icirc* ee iexcl* a1 Igrave* cc
            igrave* ec image 2111 infin 221e Int 222c int 222b Iota 399 iota 3b9 iquest* bf isin 2208
            Iuml* cf iuml* ef Kappa 39a kappa 3ba Lambda 39b lambda 3bb Lang 27ea lang 27e8 laquo* ab
            Larr 219e lArr 21d0 larr 2190 lceil 2308 ldquo 201c lE 2266 le 2264 lfloor 230a lowast 2217
            loz 25ca lrm 200e lsaquo 2039 lsquo 2018 LT* 3c Lt 226a lt* 3c macr* af mdash 2014 micro* b5
            middot* b7 minus 2212 Mu 39c mu 3bc nabla 2207 nbsp* a0 ndash 2013 ne 2260 ni 220b Not 2aec
            not* ac notin 2209 nsub 2284 Ntilde* d1 ntilde* f1 Nu 39d nu 3bd Oacute* d3 oacute* f3
            Ocirc* d4 ocirc* f4 OElig 152 oelig 153 Ograve* d2 ograve* f2 oline 203e Omega 3a9 omega 3c9
            Omicron 39f omicron 3bf oplus 2295 Or 2a54 or 2228 ordf* aa ordm* ba Oslash* d8 oslash* f8
            Otilde* d5 otilde* f5 Otimes 2a37 otimes 2297 Ouml* d6 ouml* f6 para* b6 part 2202 permil 2030
            perp 22a5 Phi 3a6 phi 3c6 Pi 3a0 pi 3c0 piv 3d6 plusmn* b1 pound* a3 Prime 2033 prime 2032
            prod 220f prop 221d Psi 3a8 psi 3c8 QUOT* 22 quot* 22 radic 221a Rang 27eb rang 27e9 raquo* bb
            Rarr 21a0 rArr 21d2 rarr 2192 rceil 2309 rdquo 201d real 211c REG* ae reg* ae rfloor 230b
            Rho 3a1 rho 3c1 rlm 200f rsaquo 203a rsquo 2019 sbquo 201a Scaron 160 scaron 161 sdot 22c5
            sect* a7 shy* ad Sigma 3a3 sigma 3c3 sigmaf 3c2 sim 223c spades 2660 Sub 22d0 sub 2282
            subE 2ac5 sube 2286 Sum 2211 sum 2211 Sup 22d1 sup 2283 sup1* b9 sup2* b2 sup3* b3 supE 2ac6
            supe 2287 szlig* df Tau 3a4 tau 3c4 there4 2234 Theta 398 theta 3b8 thetasym 3d1 thinsp 2009
            THORN* de thorn* fe Tilde 223c tilde 2dc times* d7 TRADE 2122 trade 2122 Uacute* da uacute* fa
            Uarr 219f uArr 21d1 uarr 2191 Ucirc* db ucirc* fb Ugrave* d9 ugrave* f9 uml* a8 upsih 3d2
            Upsilon 3a5 upsilon 3c5 Uuml* dc uuml* fc weierp 2118 Xi 39e xi 3be Yacute* dd yacute* fd
            yen* a5 Yuml 178 yuml* ff Zeta 396 zeta 3b6 zwj 200d zwnj 200c
            """
        var table: [String: (value: Unicode.Scalar, bare: Bool)] = [:]
        let fields = packed.split(whereSeparator: { $0 == " " || $0 == "\n" })
        for k in stride(from: 0, to: fields.count, by: 2) {
            let bare = fields[k].hasSuffix("*")
            table[String(bare ? fields[k].dropLast() : fields[k])] =
                (Unicode.Scalar(UInt32(fields[k + 1], radix: 16)!)!, bare)
        }
        return table
    }()

    /// `html5[name + ";"]` or, without semicolon, `html5[name]`.
    static func lookup(_ name: String, semicolon: Bool) -> TextCleaning.Scalars? {
        guard let e = table[name], semicolon || e.bare else { return nil }
        return [e.value]
    }

    /// ftfy's `HTML_ENTITIES["&" + name + ";"]`: the entity, or for an all-caps name whose
    /// lowercase is an entity and that `html.unescape` leaves alone, that entity upper-cased.
    static func ftfy(_ name: String) -> TextCleaning.Scalars? {
        if let v = lookup(name, semicolon: true) { return v }
        let lower = name.lowercased()
        guard name == name.uppercased(), lower != name, let e = table[lower] else { return nil }
        let probe = Array("&\(name);".unicodeScalars)
        guard TextCleaning.htmlUnescape(probe) == probe else { return nil }
        return Array(String(Character(e.value)).uppercased().unicodeScalars)
    }
}
