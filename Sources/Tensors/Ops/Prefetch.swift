import CSupport

/// Asks the caches for the lines holding `p[0 ..< count]` ahead of their reads: for loops that
/// read short pieces of many rows (more streams than the hardware prefetcher follows).
@inline(__always)
func prefetch(_ p: UnsafePointer<Float>, count: Int) {
    let end = UInt(bitPattern: p + count)
    var line = UInt(bitPattern: p) & ~63
    while line < end {
        cfclip_prefetch(UnsafeRawPointer(bitPattern: line))
        line += 64
    }
}
