import ArgumentParser
import Tensors

/// sgemm throughput on the shapes the models use (square, conv-like, skinny).
struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemm", abstract: "OpenBLAS sgemm GFLOP/s on 1 and 2 threads.")
    @OptionGroup var options: BenchOptions
    @Option(help: "Measure only these shapes, MxKxN (comma separated), instead of the model shapes.")
    var shapes: String?
    @Flag(help: "Also time the packed-weight product (PackedMatrix: CLIP's and IR-SE50's frozen layers) on each shape.")
    var packed = false
    @Option(help: "With --packed: cycle through distinct copies of the packed weight totalling this many MB, so each call streams its weight from memory as CLIP's batch-1 layers do (0: one weight, cache-warm).")
    var coldMB = 0

    func run() throws {
        var shapes: [(String, Int, Int, Int)] = [
            ("square_1024", 1024, 1024, 1024),
            ("conv64_512x4608x4096", 512, 4608, 4096),
            ("conv1024_32x576x16384", 32, 576, 16384),
            ("mapper_18x512x512", 18, 512, 512),
        ]
        if let list = self.shapes {
            shapes = try list.split(separator: ",").map { text in
                let d = text.split(separator: "x").compactMap { Int($0) }
                guard d.count == 3, d.allSatisfy({ $0 > 0 }) else {
                    throw ValidationError("--shapes: expected MxKxN such as 32x96x19456, got '\(text)'")
                }
                return (String(text), d[0], d[1], d[2])
            }
        }
        var rows: [(String, Double)] = []
        for t in options.threadCounts {
            Parallel.setThreads(t)
            for (name, m, k, n) in shapes {
                let a = seededTensor([m, k], seed: 1), b = seededTensor([k, n], seed: 2)
                var c = Tensor(zeros: [m, n])
                let secs = bestTime(seconds: options.seconds) {
                    a.withUnsafeBufferPointer { ap in
                        b.withUnsafeBufferPointer { bp in
                            c.withUnsafeMutableBufferPointer { cp in
                                BLAS.sgemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n,
                                           c: cp.baseAddress!, ldc: n)
                            }
                        }
                    }
                }
                rows.append(("gflops_per_second_\(name)_t\(t)", 2.0 * Double(m * n * k) / secs / 1e9))
                if packed {
                    // the same product with B = Wᵀ packed once, as a frozen layer holds it
                    let copies = max(1, coldMB * 1_000_000 / (4 * k * n))
                    let weight = b.transposed(), ws = (0..<copies).map { _ in PackedMatrix(weight) }
                    var next = 0
                    let call = {
                        a.withUnsafeBufferPointer { ap in
                            c.withUnsafeMutableBufferPointer { cp in ws[next].multiply(ap.baseAddress!, rows: m, bias: nil, into: cp.baseAddress!) }
                        }
                        next = (next + 1) % copies
                    }
                    // cold: the mean over whole cycles, as a model's layers pay it (the best call
                    // would be one that found its weight still in the cache)
                    let secs = copies == 1 ? bestTime(seconds: options.seconds, call) : meanTime(seconds: options.seconds, calls: copies, call)
                    rows.append(("gflops_per_second_\(name)_packed_t\(t)", 2.0 * Double(m * n * k) / secs / 1e9))
                }
            }
        }
        rows.append(("peak_rss_mb", peakRSSMegabytes()))
        if !options.json { print("OpenBLAS core: \(BLAS.coreName)") }
        printResults(rows, json: options.json)
    }
}
