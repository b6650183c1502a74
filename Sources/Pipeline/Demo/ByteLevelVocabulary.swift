import CZlib
import Foundation

/// A CLIP BPE vocabulary with no merges: the header line only, gzipped like
/// `bpe_simple_vocab_16e6.txt.gz`. The tokenizer then has 512 byte tokens (each byte, and
/// each byte ending a word) plus `<|startoftext|>` and `<|endoftext|>`: 514 ids, every text
/// tokenizes to its bytes. Written by the project itself, so the demo needs no download.
public enum ByteLevelVocabulary {
    public static let size = 514
    /// No trailing newline: the reference reads every line after the first as a merge, and
    /// an empty line would add an empty token.
    static let text = "#version: 0.2"

    public static func write(to path: String) throws {
        let tmp = path + ".tmp"
        guard let gz = gzopen(tmp, "wb9") else { throw PipelineError.output(folder: path, what: "cannot create \(tmp)") }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
        guard gzclose(gz) == Z_OK, n == Int32(bytes.count) else {
            unlink(tmp)
            throw PipelineError.output(folder: path, what: "cannot write the gzip vocabulary")
        }
        guard rename(tmp, path) == 0 else { throw PipelineError.output(folder: path, what: "cannot rename \(tmp) into place") }
    }
}
