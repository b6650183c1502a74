import FixtureSupport
import Foundation
@testable import Pipeline
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue #13's operator faults and hostile part folders, each reproduced here first.
final class HostileRunTests: XCTestCase {
    /// A done-marker naming `../ESCAPED.txt` must not make merge write outside --output.
    func testMergeRefusesMarkerPathsThatLeaveTheFolder() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let part = fx.folder("part")
        try fx.run(try fx.write(), output: part)
        let marker = part + "/shards/shard-000000.done.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: marker))) as! [String: Any]
        var files = json["files"] as! [String: Any]
        files["../ESCAPED.txt"] = ["bytes": 1, "sha256": "x"]
        json["files"] = files
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: marker))
        try "e".write(toFile: part + "/ESCAPED.txt", atomically: true, encoding: .utf8)
        let out = tmp.url.appendingPathComponent("merged/out").path
        let r = Hostile.assertCleanFailure(try Hostile.run("cfclip-batch", ["merge", part, "--output", out]), "escaping marker")
        XCTAssertTrue(r.contains("ESCAPED.txt") && r.contains("not a file of shard 0"), r)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.url.appendingPathComponent("merged/ESCAPED.txt").path))
    }

    func testSlurmArrayWithAStepMapsTasksToTheirPositions() throws {
        // --array=0-4:2: tasks 0, 2, 4 are parts 0, 1, 2 of 3
        for (id, part) in [(0, 0), (2, 1), (4, 2)] {
            let env = ["SLURM_ARRAY_TASK_ID": "\(id)", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "4",
                       "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "3"]
            XCTAssertEqual(try Partition.resolve(index: nil, count: nil, environment: env), Partition(index: part, count: 3))
        }
        // --array=0,5,9 has no position: refused, pointing at --shard-index
        let list = ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "9",
                    "SLURM_ARRAY_TASK_STEP": "1", "SLURM_ARRAY_TASK_COUNT": "3"]
        XCTAssertThrowsError(try Partition.resolve(index: nil, count: nil, environment: list)) {
            XCTAssertTrue("\($0)".contains("--shard-index"), "\($0)")
        }
    }

    /// A flipped byte keeps a finished tar's size; resume must notice and redo the shard.
    func testResumeRehashesFinishedShards() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let pipeline = try fx.write()
        let out = fx.folder("out")
        try fx.run(pipeline, output: out)
        let tar = out + "/shards/shard-000001.tar"
        let original = try Data(contentsOf: URL(fileURLWithPath: tar))
        var damaged = original
        damaged[700] ^= 0x20
        try damaged.write(to: URL(fileURLWithPath: tar))
        // the report no longer trusts it either
        let report = Hostile.assertCleanFailure(try Hostile.run("cfclip-batch", ["report", out]), "report of a damaged shard")
        XCTAssertTrue(report.contains("shard 1") && report.contains("SHA-256"), report)
        let again = try fx.run(pipeline, output: out)
        XCTAssertEqual(again.shardsWritten, 1, "only the damaged shard is redone")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: tar)), original)
    }

    func testLongEditNamesAreAConfigError() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        fx.extraEdit = "  - name: \(String(repeating: "x", count: 87))\n    text: x\n    mapper: \(try PipelineFixture.model("mapper"))"
        let pipeline = try fx.write()
        let out = fx.folder("out")
        let e = Hostile.assertCleanFailure(try Hostile.run("cfclip-batch", ["run", pipeline, "--output", out, "--quiet"]), "long name")
        XCTAssertTrue(e.contains("edits[") && e.contains("name"), e)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written before the config is checked")
    }

    func testTwoRunsOnOneFolderCannotCollide() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let pipeline = try fx.write()
        let out = fx.folder("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // a live holder (this test process) of the same part
        try "\(getpid()) \(FolderLock.host) 0\n".write(toFile: out + "/.lock-part-0-of-1", atomically: true, encoding: .utf8)
        let e = Hostile.assertCleanFailure(try Hostile.run("cfclip-batch", ["run", pipeline, "--output", out, "--quiet"]), "locked folder")
        XCTAssertTrue(e.contains("in use"), e)
        // a holder that is gone: the stale lock is taken over, and released at the end
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run(); gone.waitUntilExit()
        try "\(gone.processIdentifier) \(FolderLock.host) 0\n".write(toFile: out + "/.lock-part-0-of-1", atomically: true, encoding: .utf8)
        let ok = try Hostile.run("cfclip-batch", ["run", pipeline, "--output", out, "--quiet"])
        XCTAssertEqual(ok.status, 0, ok.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/.lock-part-0-of-1"))
    }

    /// `ulimit -f`: the write fails with EFBIG and says so (no SIGXFSZ death, no misleading errno).
    func testFileSizeLimitIsAnErrorMessage() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let pipeline = try fx.write()
        let out = fx.folder("out")
        let bin = try CLI.binary("cfclip-batch")
        let r = try CLI.runTool("/bin/bash", ["-c", "ulimit -f 40; exec \"$0\" run \"$1\" --output \"$2\" --quiet", bin, pipeline, out])
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.output.hasPrefix("error: ") && r.output.contains("File too large"), r.output)
        let leftovers = FileManager.default.enumerator(atPath: out)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".tmp") } ?? []
        XCTAssertEqual(leftovers, [], "temporaries left behind")
    }

    /// SIGTERM stops a run within 5 s with a message and exit 143, leaving no temporaries; a
    /// rerun then completes.
    func testSIGTERMStopsCleanly() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        fx.samples = 200; fx.samplesPerShard = 8; fx.batchSize = 1
        let pipeline = try fx.write()
        let out = fx.folder("out")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try CLI.binary("cfclip-batch"))
        p.arguments = ["run", pipeline, "--output", out, "--quiet"]
        let pipe = Pipe()
        p.standardError = pipe
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: out + "/shards/shard-000000.done.json") && p.isRunning && Date() < deadline { usleep(2_000) }
        XCTAssertTrue(p.isRunning, "the run ended before it could be stopped")
        let sent = Date()
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(sent), 5)
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 143)
        let message = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(message.contains("stopped by SIGTERM"), message)
        let names = FileManager.default.enumerator(atPath: out)?.compactMap { $0 as? String } ?? []
        XCTAssertEqual(names.filter { $0.hasSuffix(".tmp") || $0.contains(".lock") }, [], "temporaries or lock left behind")
        XCTAssertTrue(try fx.run(pipeline, output: out).complete)
    }

    /// Runs `script` in a user and mount namespace of its own (`unshare -rm`), where it may mount
    /// a tmpfs or a read-only bind; skips, saying why, where the machine does not allow that.
    func inNamespace(_ script: String, _ args: [String]) throws -> CLI.Result {
        let probe = try CLI.runTool("/usr/bin/unshare", ["-rm", "true"])
        if probe.status != 0 { throw XCTSkip("unshare -rm is not permitted here: \(probe.output)") }
        return try CLI.runTool("/usr/bin/unshare", ["-rm", "/bin/sh", "-c", script, "sh"] + args)
    }

    /// A full disk (a 96 KiB tmpfs as the output): ENOSPC named, exit 1, nothing half-written.
    func testFullDiskIsNamed() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let pipeline = try fx.write()
        let out = fx.folder("small-disk")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let r = try inNamespace("mount -t tmpfs -o size=96k tmpfs \"$1\" && \"$2\" run \"$3\" --output \"$1\" --quiet; s=$?; "
                                + "find \"$1\" -name '*.tmp' -o -name '.lock*'; exit $s",
                                [out, try CLI.binary("cfclip-batch"), pipeline])
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.output.hasPrefix("error: ") && r.output.contains("No space left on device"), r.output)
        XCTAssertEqual(r.output.split(separator: "\n").count, 1, "one line, and no temporaries listed: \(r.output)")
    }

    /// A finished run on a read-only mount is re-verified and reported done, and validates.
    func testFinishedRunOnAReadOnlyMountVerifies() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let pipeline = try fx.write()
        let out = fx.folder("done")
        try fx.run(pipeline, output: out)
        let bin = try CLI.binary("cfclip-batch")
        let r = try inNamespace("mount --bind \"$1\" \"$1\" && mount -o remount,ro,bind \"$1\" && "
                                + "\"$2\" run \"$3\" --output \"$1\" --quiet && \"$2\" validate \"$3\" --output \"$1\"", [out, bin, pipeline])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("wrote 0 shard(s), skipped 3 finished") && r.output.contains("3 of the owned 3 shards are done and verified"), r.output)
    }

    func testValidateChecksWithoutWriting() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let out = fx.folder("never")
        let r = try CLI.run(["validate", try fx.write(), "--output", out], executable: "cfclip-batch")
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("10 samples in 3 shards") && r.output.contains("ok: a run would start"), r.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "validate wrote the output folder")
    }

    /// Found by fuzz-config: Yams reads `1:2:...:12` as a base-60 integer with unchecked
    /// arithmetic and trapped the process (SIGILL) while decoding the pipeline.
    func testBase60NumberOutOfRangeIsAConfigError() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        var text = try String(contentsOfFile: try fx.write(), encoding: .utf8)
        text = text.replacingOccurrences(of: "source:\n  hdf5:\n", with: "source:\n  hdf5:\n    limit: 1:2:3:4:5:6:7:8:9:10:11:12\n")
        XCTAssertTrue(text.contains("limit: 1:2"), "fixture layout changed")
        let p = tmp.url.appendingPathComponent("base60.yaml").path
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        let e = Hostile.assertCleanFailure(try Hostile.run("cfclip-batch", ["validate", p]), "base-60 overflow")
        XCTAssertTrue(e.contains("source.hdf5.limit: base-60 number"), e)
    }

    /// Bytes from a file (here a dataset name with a terminal escape and a newline) are shown
    /// escaped: one line, no control characters reach the terminal.
    func testControlCharactersFromFilesAreEscaped() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        var text = try String(contentsOfFile: try fx.write(), encoding: .utf8)
        text = text.replacingOccurrences(of: "source:\n  hdf5:\n", with: "source:\n  hdf5:\n    dataset: \"lat\\e[2Jents\\nerror: forged\"\n")
        let p = tmp.url.appendingPathComponent("escape.yaml").path
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        let e = Hostile.assertCleanFailure(try Hostile.run("cfclip-batch", ["validate", p]), "control characters")
        XCTAssertTrue(e.contains("lat\\x1b[2Jents\\x0aerror: forged"), e)
        XCTAssertFalse(e.unicodeScalars.contains { $0.value < 0x20 }, e)
    }

    /// Found by fuzz-hdf5: libhdf5 1.10.8 dereferences NULL in H5F__accum_read opening this
    /// damaged file. It used to kill cfclip-batch with SIGSEGV; the reader child now dies instead.
    func testHDF5LibraryCrashIsAnError() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let h5 = Fixtures.packageRoot.appendingPathComponent("Fuzz/crashes/hdf5/libhdf5-segv-in-H5F__accum_read.h5").path
        let e = Hostile.assertCleanFailure(try Hostile.run("cfclip-batch", ["validate", try fx.write(latents: h5)]), "libhdf5 crash")
        XCTAssertTrue(e.contains("the HDF5 library failed on this file") && e.contains("Segmentation fault"), e)
    }

    /// A reader that stops answering (libhdf5 looping on a damaged file, a stalled NFS mount)
    /// is killed at CFCLIP_HDF5_TIMEOUT instead of hanging the run.
    func testStalledHDF5ReaderTimesOut() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let stall = tmp.url.appendingPathComponent("stall.sh").path
        try "#!/bin/sh\nexec sleep 600\n".write(toFile: stall, atomically: true, encoding: .utf8)
        chmod(stall, 0o755)
        let o = try Hostile.run("cfclip-batch", ["validate", try fx.write()],
                                environment: ["CFCLIP_HDF5_READER": stall, "CFCLIP_HDF5_TIMEOUT": "1"])
        let e = Hostile.assertCleanFailure(o, "stalled reader")
        XCTAssertTrue(e.contains("did not answer within 1 s while opening dataset 'latents'"), e)
        XCTAssertLessThan(o.seconds, 5)
    }

    /// The reader child's address space is capped (CFCLIP_HDF5_MEMORY; fuzz-hdf5 found files
    /// that make libhdf5 ask for 4 GB): past the cap the reader fails and the run says so,
    /// naming the variable, instead of growing.
    func testHDF5ReaderMemoryCapIsAnError() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let o = try Hostile.run("cfclip-batch", ["validate", try fx.write()], environment: ["CFCLIP_HDF5_MEMORY": "64M"])
        let e = Hostile.assertCleanFailure(o, "reader over its memory cap")
        XCTAssertTrue(e.contains("CFCLIP_HDF5_MEMORY=64M"), e)
    }

    /// Found by fuzz-config: a few thousand nested `[` overflowed the stack inside Yams' recursive
    /// parser (SIGSEGV). Nesting is now bounded before parsing; brackets inside quoted text, a
    /// comment or a plain word with an apostrophe still pass.
    func testDeeplyNestedYAMLIsAConfigError() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let deep = tmp.url.appendingPathComponent("deep.yaml").path
        try ("edits: " + String(repeating: "[", count: 20_000) + "\n").write(toFile: deep, atomically: true, encoding: .utf8)
        let e = Hostile.assertCleanFailure(try Hostile.run("cfclip-batch", ["validate", deep]), "deep nesting")
        XCTAssertTrue(e.contains("nested deeper than 64 levels at line 1"), e)

        var text = try String(contentsOfFile: try fx.write(), encoding: .utf8)
        let brackets = String(repeating: "[", count: 100)
        text = text.replacingOccurrences(of: "edits:\n", with: "# \(brackets)\nedits:\n")
            .replacingOccurrences(of: "text: green lipstick", with: "text: \"\(brackets) don't\"")
        XCTAssertTrue(text.contains("don't"), "fixture layout changed")
        let ok = tmp.url.appendingPathComponent("ok.yaml").path
        try text.write(toFile: ok, atomically: true, encoding: .utf8)
        let r = try CLI.run(["validate", ok], executable: "cfclip-batch")
        XCTAssertEqual(r.status, 0, r.output)
    }
}
