import Foundation

/// A FIFO between two pipeline stages that holds at most `capacity` items: `push` waits while
/// it is full, so a slow consumer throttles its producer and memory stays bounded whatever
/// the input size. Stages run on dedicated threads (never on Swift's cooperative pool), so
/// blocking on a condition variable here is the intended behaviour.
///
/// `close()` ends the stream normally (consumers drain what is left); `cancel()` drops
/// everything and wakes every waiter, for stopping on the first error.
public final class BoundedQueue<Element>: @unchecked Sendable {
    public let capacity: Int
    private let condition = NSCondition()
    /// Ring buffer; a slot is set back to nil when its item is taken, so a consumed batch
    /// (and its tensors) is freed at once rather than when the slot is reused.
    private var slots: [Element?]
    private var head = 0
    private var stored = 0
    private var closed = false
    private var cancelled = false
    /// Most items ever held at once (for the back-pressure tests and the report).
    public private(set) var highWater = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "queue capacity must be positive")
        self.capacity = capacity
        slots = Array(repeating: nil, count: capacity)
    }

    private var countLocked: Int { stored }

    /// Adds an item, waiting while the queue is full. False when the queue was cancelled
    /// (the item is dropped) or already closed.
    @discardableResult
    public func push(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while countLocked >= capacity && !cancelled { condition.wait() }
        guard !cancelled, !closed else { return false }
        slots[(head + stored) % capacity] = item
        stored += 1
        highWater = max(highWater, countLocked)
        condition.broadcast()
        return true
    }

    /// The next item, waiting while the queue is empty and open; nil once it is closed and
    /// drained, or cancelled.
    public func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while countLocked == 0 && !closed && !cancelled { condition.wait() }
        guard !cancelled, countLocked > 0 else { return nil }
        let item = slots[head]!
        slots[head] = nil
        head = (head + 1) % capacity
        stored -= 1
        condition.broadcast()
        return item
    }

    /// No more items will come; consumers get the rest, then nil.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Drops every item and wakes all waiters; later pushes and pops fail at once.
    public func cancel() {
        condition.lock()
        cancelled = true
        slots = Array(repeating: nil, count: capacity)
        head = 0
        stored = 0
        condition.broadcast()
        condition.unlock()
    }

    public var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return countLocked
    }
}
