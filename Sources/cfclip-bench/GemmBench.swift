import ArgumentParser
import Tensors

/// sgemm throughput on the shapes the models use (square, conv-like, skinny).
struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemm", abstract: "OpenBLAS sgemm GFLOP/s on 1 and 2 threads.")
    @OptionGroup var options: BenchOptions

    func run() throws {
        let shapes: [(String, Int, Int, Int)] = [
            ("square_1024", 1024, 1024, 1024),
            ("conv64_512x4608x4096", 512, 4608, 4096),
            ("conv1024_32x576x16384", 32, 576, 16384),
            ("mapper_18x512x512", 18, 512, 512),
        ]
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
            }
        }
        rows.append(("peak_rss_mb", peakRSSMegabytes()))
        if !options.json { print("OpenBLAS core: \(BLAS.coreName)") }
        printResults(rows, json: options.json)
    }
}
