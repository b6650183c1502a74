import FixtureSupport
import Foundation
import Pipeline
import XCTest

/// Outputs are keyed by the sample, so neither the batch size nor a split into parts
/// changes a byte of them.
final class DeterminismTests: XCTestCase {
    func testThreePartsMergedEqualOneRunAndAnotherBatchSize() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        fx.samples = 11; fx.samplesPerShard = 3; fx.batchSize = 2        // 4 shards
        let h5 = try fx.latents()
        let single = fx.folder("single")
        try fx.run(try fx.write(latents: h5), output: single)
        let reference = try outputBytes(single)
        XCTAssertEqual(reference.count, 8)

        fx.batchSize = 3
        let other = fx.folder("batch3")
        try fx.run(try fx.write(name: "b3.yaml", latents: h5), output: other)
        XCTAssertEqual(try outputBytes(other), reference, "batch size 3 vs 2")

        fx.batchSize = 1
        let pipeline = try fx.write(name: "b1.yaml", latents: h5)
        var parts: [String] = []
        for i in 0..<3 {
            let part = fx.folder("part\(i)")
            let r = try fx.run(pipeline, output: part, partition: Partition(index: i, count: 3))
            XCTAssertEqual(r.shardsWritten, i == 0 ? 2 : 1)       // shards 0 and 3, 1, 2
            XCTAssertEqual(r.complete, false)
            parts.append(part)
        }
        let merged = fx.folder("merged")
        let m = try Merge.run(parts: parts, output: merged)
        XCTAssertEqual(m.shards, 4)
        XCTAssertEqual(try outputBytes(merged), reference, "3 parts merged vs one run")
        XCTAssertTrue(FileManager.default.fileExists(atPath: merged + "/summary.json"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: merged + "/report.html"))

        // an incomplete set of parts is refused, with nothing copied
        let partial = fx.folder("partial")
        XCTAssertThrowsError(try Merge.run(parts: Array(parts.prefix(2)), output: partial)) { error in
            XCTAssertTrue("\(error)".contains("done in none of the parts (shards 2)"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial))
    }

    func testSeededNoiseDependsOnTheSampleOnly() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        fx.samples = 5; fx.noise = "seeded"; fx.batchSize = 4
        let h5 = try fx.latents()
        try fx.run(try fx.write(latents: h5), output: fx.folder("b4"))
        fx.batchSize = 1
        try fx.run(try fx.write(name: "b1.yaml", latents: h5), output: fx.folder("b1"))
        XCTAssertEqual(try outputBytes(fx.folder("b1")), try outputBytes(fx.folder("b4")))
        fx.noise = "buffers"
        try fx.run(try fx.write(name: "buffers.yaml", latents: h5), output: fx.folder("buffers"))
        XCTAssertNotEqual(try outputBytes(fx.folder("buffers")), try outputBytes(fx.folder("b1")), "seeded noise renders other images")
    }

    func testPartitionFromSchedulerEnvironment() throws {
        XCTAssertEqual(try Partition.resolve(index: nil, count: nil, environment: [:]), .whole)
        XCTAssertEqual(try Partition.resolve(index: 2, count: 5, environment: [:]), Partition(index: 2, count: 5))
        let slurm = ["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "8"]
        XCTAssertEqual(try Partition.resolve(index: nil, count: nil, environment: slurm), Partition(index: 3, count: 8))
        XCTAssertEqual(try Partition.resolve(index: nil, count: 4, environment: ["JOB_COMPLETION_INDEX": "3"]), Partition(index: 3, count: 4))
        XCTAssertEqual(try Partition.resolve(index: nil, count: nil, environment: ["JOB_COMPLETION_INDEX": "1", "CFCLIP_SHARD_COUNT": "2"]),
                       Partition(index: 1, count: 2))
        XCTAssertThrowsError(try Partition.resolve(index: nil, count: nil, environment: ["JOB_COMPLETION_INDEX": "0"])) {
            XCTAssertTrue("\($0)".contains("--shard-count"), "\($0)")
        }
        XCTAssertThrowsError(try Partition.resolve(index: 3, count: 3, environment: [:]))
        let owned = (0..<10).filter(Partition(index: 1, count: 3).owns)
        XCTAssertEqual(owned, [1, 4, 7])
    }
}
