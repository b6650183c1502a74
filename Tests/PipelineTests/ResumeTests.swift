import FixtureSupport
import Foundation
import Pipeline
import XCTest

/// Crash safety and resume: finished shards are kept, unfinished ones redone, a changed
/// configuration refused.
final class ResumeTests: XCTestCase {
    func testKilledRunResumesToTheBytesOfAnUninterruptedRun() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        fx.samples = 60; fx.samplesPerShard = 4; fx.batchSize = 1       // 15 shards
        let pipeline = try fx.write()
        let reference = fx.folder("reference")
        try fx.run(pipeline, output: reference)

        // the writer holds (CFCLIP_FAULT_HOLD_SHARD) once shard 2 has a sample in its temporary:
        // the kill lands mid-shard every time, however fast the machine
        let out = fx.folder("killed")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try CLI.binary("cfclip-batch"))
        p.arguments = ["run", pipeline, "--output", out, "--quiet"]
        p.environment = ProcessInfo.processInfo.environment.merging(["CFCLIP_FAULT_HOLD_SHARD": "2"]) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let partial = out + "/shards/shard-000002.tar.tmp"
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: partial) && p.isRunning && Date() < deadline { usleep(2_000) }
        XCTAssertTrue(p.isRunning, "the run ended before shard 2")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        XCTAssertTrue(FileManager.default.fileExists(atPath: partial), "no half-written shard to recover from")
        let markers = OutputLayout(root: out).markedShards()
        XCTAssertEqual(markers.count, 2, "shards 0 and 1 finished before the kill")

        let resumed = try fx.run(pipeline, output: out)
        XCTAssertEqual(resumed.shardsSkipped, markers.count)
        XCTAssertEqual(resumed.shardsWritten, 15 - markers.count)
        XCTAssertTrue(resumed.complete)
        let a = try outputBytes(out), b = try outputBytes(reference)
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted(), "no shard lost or added")
        XCTAssertTrue(a == b, "resumed bytes differ from an uninterrupted run")
        XCTAssertFalse(try FileManager.default.subpathsOfDirectory(atPath: out).contains { $0.hasSuffix(".tmp") })
        try assertMetricsComplete(out, samples: 60)
    }

    func testRerunSkipsFinishedShardsAndRedoesUnfinishedOnes() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let pipeline = try fx.write()
        let out = fx.folder("out")
        try fx.run(pipeline, output: out)
        let before = try outputBytes(out)
        let again = try fx.run(pipeline, output: out)
        XCTAssertEqual(again.shardsWritten, 0)
        XCTAssertEqual(again.shardsSkipped, 3)

        // a crash mid-shard leaves temporaries and no marker: both are cleared and the shard redone
        let layout = OutputLayout(root: out)
        try FileManager.default.removeItem(atPath: layout.done(1))
        try Data("partial".utf8).write(to: URL(fileURLWithPath: layout.path(layout.tarRelative(1)) + ".tmp"))
        try Data("stale".utf8).write(to: URL(fileURLWithPath: layout.path(layout.tarRelative(1))))
        let redo = try fx.run(pipeline, output: out)
        XCTAssertEqual(redo.shardsWritten, 1)
        XCTAssertEqual(try outputBytes(out), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.path(layout.tarRelative(1)) + ".tmp"))
    }

    func testChangedConfigurationIsRefusedUnlessForced() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        let h5 = try fx.latents()
        let out = fx.folder("out")
        try fx.run(try fx.write(latents: h5), output: out)
        fx.alpha = "0.5"
        let changed = try fx.write(name: "changed.yaml", latents: h5)
        XCTAssertThrowsError(try fx.run(changed, output: out)) { error in
            XCTAssertTrue("\(error)".contains("another configuration") && "\(error)".contains("--force"), "\(error)")
        }
        let forced = try fx.run(changed, output: out, force: true)
        XCTAssertEqual(forced.shardsWritten, 3)
        let metrics = try String(contentsOfFile: out + "/metrics/shard-000000.jsonl", encoding: .utf8)
        XCTAssertTrue(metrics.contains("\"edit\": \"styleclip\""))
        // batch size and queue depth are not part of the configuration's identity
        fx.batchSize = 3
        XCTAssertEqual(try fx.run(try fx.write(name: "b3.yaml", latents: h5), output: out).shardsSkipped, 3)
    }
}
