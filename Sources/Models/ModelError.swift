/// Errors of the model layer: each names the file or checkpoint, the key, and what was
/// expected and found.
public enum ModelError: Error, CustomStringConvertible {
    case invalidInput(String)
    case resource(file: String, what: String)

    public var description: String {
        switch self {
        case let .invalidInput(what): return what
        case let .resource(file, what): return "\(file): \(what)"
        }
    }
}
