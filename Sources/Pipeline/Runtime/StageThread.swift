import Foundation

/// A dedicated OS thread for one pipeline stage. Model code calls blocking BLAS for hundreds
/// of milliseconds at a time; on Swift's cooperative pool (one thread per core) that would
/// starve every other task (platform.md 3.2), so each stage owns a thread and talks to the
/// others only through `BoundedQueue`s.
public final class StageThread: @unchecked Sendable {
    public let name: String
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    public init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        let done = finished
        let t = Thread {
            body()
            done.signal()
        }
        t.name = "cfclip-batch.\(name)"
        t.stackSize = 16 << 20   // model code keeps large structs on the stack
        thread = t
    }

    public func start() { thread?.start() }

    /// Waits until the stage's body has returned.
    public func join() {
        finished.wait()
        thread = nil
    }
}
