import ArgumentParser
import BuildInfo
import Foundation
import Tensors

@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cfclip-bench",
        abstract: "Full-size speed and memory benchmarks with seeded random weights.",
        version: Version.text(program: "cfclip-bench"),
        subcommands: [GemmBench.self, ConvBench.self, WinogradErrorBench.self, GeneratorBench.self, CLIPBench.self, ArcFaceBench.self, VGGBench.self, TrainStepBench.self, OptimizeBench.self, NadaBench.self, EncodeBench.self, PipelineBench.self, LoadBench.self])
}

/// Options every benchmark takes.
struct BenchOptions: ParsableArguments {
    @Flag(help: "Print one flat JSON object instead of a table.") var json = false
    @Option(help: "Thread counts to measure (comma separated).") var threads: String = "1,2"
    @Option(help: "Minimum seconds of repeated calls per measurement.") var seconds: Double = 1.5

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0) } }
}

/// Best-of repeated timing: runs `body` until `seconds` have passed (at least twice) and
/// returns the fastest call, the usual way to quote a kernel's rate on a shared machine.
func bestTime(seconds: Double, _ body: () -> Void) -> Double {
    body() // warm-up: first-touch page faults and OpenBLAS thread start
    var best = Double.infinity
    let start = Date()
    var calls = 0
    while calls < 2 || Date().timeIntervalSince(start) < seconds {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        calls += 1
    }
    return best
}

/// Mean seconds per call over whole rounds of `calls` calls, for at least `seconds` (after one
/// warm-up round).
func meanTime(seconds: Double, calls: Int, _ body: () -> Void) -> Double {
    for _ in 0..<calls { body() }
    let start = DispatchTime.now().uptimeNanoseconds
    var done = 0
    repeat {
        for _ in 0..<calls { body() }
        done += calls
    } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(done)
}

/// Seconds one call of `body` takes.
func secondsOf(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

/// The median (the upper one of an even count) of timings from alternating runs.
func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }

/// Peak resident set size of this process so far, in MB (Linux `VmHWM`).
func peakRSSMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb / 1024
    }
    return 0
}

func printResults(_ rows: [(String, Double)], json: Bool) {
    // errors such as max_abs_vs_torch are far below the fixed decimals
    func text(_ v: Double, _ decimals: Int) -> String {
        v != 0 && abs(v) < 0.01 ? String(format: "%.3e", v) : String(format: "%.\(decimals)f", v)
    }
    if json {
        let body = rows.map { "\"\($0.0)\": \(text($0.1, 4))" }.joined(separator: ", ")
        print("{\(body)}")
    } else {
        let width = rows.map(\.0.count).max() ?? 0
        for (k, v) in rows { print(k.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + text(v, 2)) }
    }
}

/// Seeded uniform values in [-1, 1) (SplitMix64), so benchmarks are repeatable.
func seededTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var state = seed
    return Tensor(shape: shape) { buf in
        for i in 0..<buf.count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            buf[i] = Float(z >> 40) / Float(1 << 23) - 1
        }
    }
}
