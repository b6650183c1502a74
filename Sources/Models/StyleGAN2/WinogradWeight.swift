import Foundation
import Tensors

/// A 3x3 same-size layer's Winograd U (`Winograd.pack`), held once, in the layout its last call
/// read: OpenBLAS's bands (the 4²-16² layers) read rows, the fused blocks (32² up) read
/// `PanelTile`'s 8-row tiles, where U at 128-512 channels streams from L3 one run at a time
/// (the 32²-256² layers ran 7-10% faster). A layer changes layout only if its image size moves
/// it between the two paths, so a generator converts each such layer once.
final class WinogradWeight: @unchecked Sendable {
    private var u: Tensor
    private var tiled = false
    private let lock = NSLock()

    init(_ weight: Tensor) { u = Winograd.pack(weight) }

    /// U for `Winograd.forward(..., tiled:)`; rows whenever cout is not a multiple of 8.
    func packed(tiled want: Bool) -> (u: Tensor, tiled: Bool) {
        lock.lock()
        defer { lock.unlock() }
        let want = want && u.shape[1] % 8 == 0
        if want != tiled {
            Winograd.retile(&u, toTiles: want)
            tiled = want
        }
        return (u, tiled)
    }
}
