import Synchronization

/// The first error of a run. Any stage that fails records its error here, which cancels
/// every queue so all other stages stop promptly; the runner then reports this error (later
/// ones are consequences and are dropped).
public final class PipelineFailure: Sendable {
    private let state = Mutex<(error: Error?, cancels: [@Sendable () -> Void])>((nil, []))

    public init() {}

    /// Registers something to cancel on failure (a queue's `cancel`).
    public func onFailure(_ cancel: @escaping @Sendable () -> Void) {
        state.withLock { $0.cancels.append(cancel) }
    }

    /// Records `error` if it is the first, then cancels everything.
    public func record(_ error: Error) {
        let cancels: [@Sendable () -> Void] = state.withLock { s in
            guard s.error == nil else { return [] }
            s.error = error
            return s.cancels
        }
        for c in cancels { c() }
    }

    public var error: Error? { state.withLock { $0.error } }
    public var failed: Bool { error != nil }
}
