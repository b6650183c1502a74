/// Errors of the pipeline layer. Each case carries what a person needs to fix the problem
/// (file, key, expected, found); `description` is the one line the CLI prints.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    /// A pipeline file problem at a key path such as `edits[1].alpha`.
    case config(file: String, path: String, what: String)
    /// A model, latent or golden file that cannot be used as it is.
    case input(file: String, what: String)
    /// The output folder cannot be used (not writable, made by another configuration, ...).
    case output(folder: String, what: String)
    /// Parts that cannot be merged.
    case merge(what: String)
    /// A study that cannot be built or scored as asked (option, what is wrong).
    case study(option: String, what: String)
    /// A run that was stopped (a stage failed first and this is the follow-up).
    case cancelled

    public var description: String {
        switch self {
        case let .config(file, path, what): return path.isEmpty ? "\(file): \(what)" : "\(file): \(path): \(what)"
        case let .input(file, what): return "\(file): \(what)"
        case let .output(folder, what): return "output folder \(folder): \(what)"
        case let .merge(what): return "merge: \(what)"
        case let .study(option, what): return option.isEmpty ? "study: \(what)" : "study: \(option): \(what)"
        case .cancelled: return "cancelled"
        }
    }
}
