/// A file that could not be read or written, with the reason in one line.
public struct FileIOError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let what: String
    /// errno of the failing call (0 when the problem was not a system call's).
    public let code: Int32

    public init(path: String, what: String, code: Int32 = 0) {
        self.path = path; self.what = what; self.code = code
    }

    public var description: String { "\(path): \(what)" }
}

#if canImport(Glibc)
import Glibc
#endif

/// The text of an errno value (read it right after the call: anything in between may change it).
func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
