import Tensors

/// What `--version` prints on every executable: the release, the git commit and build date
/// the binary was built from, and the BLAS library the maths runs on.
public enum Version {
    public static let number = "0.7.0"

    public static var commit: String { Generated.commit }
    public static var buildDate: String { Generated.date }

    public static func text(program: String) -> String {
        "\(program) \(number)\ncommit \(commit), built \(buildDate)\nBLAS \(BLAS.libraryDescription)"
    }
}
