import Foundation

/// Whether `TileProduct` and `PanelTile` run their full tiles' AVX-512 builds (the module
/// `KernelsAVX512`, compiled for skylake-avx512 alone): where /proc/cpuinfo lists that target's
/// AVX-512 sets and `CFCLIP_NO_AVX512` is not set. Each lane is the same chain of fused
/// multiply-adds either way, so outputs are the same bytes; a k step costs half (TileProduct) or
/// two thirds (PanelTile) of the multiply-adds. CLIP's image tower ran 1.25x faster on an
/// Emerald Rapids guest.
public enum AVX512 {
    nonisolated(unsafe) public static var enabled =
        ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(BLASCore.cpuFlags().contains)
            && getenv("CFCLIP_NO_AVX512") == nil
}
