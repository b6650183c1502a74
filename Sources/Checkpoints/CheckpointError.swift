import FileIO

/// Everything that can be wrong with a checkpoint file, each case carrying what a person needs
/// to fix it: the file, the key, what was expected and what was found.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file is malformed; `what` says how (one line).
    case malformed(file: String, what: String)
    /// The file is fine but holds something this reader refuses (an unknown pickle global, ...).
    case unsupported(file: String, what: String)
    /// Loading a model from a state dict failed; every problem is listed.
    case mismatch(source: String, problems: [String])
    case io(file: String, what: String)

    public var description: String {
        switch self {
        case let .malformed(file, what): return "\(file): \(what)"
        case let .unsupported(file, what): return "\(file): \(what)"
        case let .io(file, what): return "\(file): \(what)"
        case let .mismatch(source, problems):
            return "\(source): \(problems.count) problem\(problems.count == 1 ? "" : "s") loading weights:\n"
                + problems.map { "  - " + $0 }.joined(separator: "\n")
        }
    }
}

extension CheckpointError: ReportedInLines {
    /// A mismatch lists its problems one per line; every other case is one line.
    public var reportLines: [String]? {
        guard case let .mismatch(source, problems) = self else { return nil }
        return ["\(source): \(problems.count) problem\(problems.count == 1 ? "" : "s") loading weights:"] + problems.map { "  - " + $0 }
    }
}
