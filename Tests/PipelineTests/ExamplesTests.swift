import FixtureSupport
import Foundation
import Pipeline
import XCTest
import Yams

/// The scheduler examples in examples/, run as a scheduler would: separate processes with the
/// environment Slurm or Kubernetes sets. The merged parts must equal one run byte for byte.
final class ExamplesTests: XCTestCase {
    var root: URL { Fixtures.packageRoot }

    func example(_ path: String) throws -> String { try String(contentsOfFile: root.appendingPathComponent("examples/" + path).path, encoding: .utf8) }

    /// Starts every command at once (as an array's tasks start) and waits for all.
    func runAll(_ commands: [(tool: String, args: [String], env: [String: String])]) throws -> [(Int32, String)] {
        let processes = try commands.map { c -> (Process, Pipe) in
            let p = Process(), pipe = Pipe()
            p.executableURL = URL(fileURLWithPath: c.tool)
            p.arguments = c.args
            p.environment = ProcessInfo.processInfo.environment.merging(c.env) { $1 }
            p.standardOutput = pipe; p.standardError = pipe
            try p.run()
            return (p, pipe)
        }
        return processes.map { p, pipe in
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationStatus, text)
        }
    }

    func testSlurmArrayWithAStepThenMergeEqualsOneRun() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        fx.samples = 10; fx.samplesPerShard = 2          // 5 shards over the array's parts
        let pipeline = try fx.write()
        let single = fx.folder("single")
        try fx.run(pipeline, output: single)

        let script = try example("slurm/array.sbatch")
        let spec = try XCTUnwrap(script.firstMatch(of: /#SBATCH --array=(\d+)-(\d+):(\d+)/), "array.sbatch has no --array=MIN-MAX:STEP")
        let (lo, hi, step) = (Int(spec.1)!, Int(spec.2)!, Int(spec.3)!)
        let tasks = Array(stride(from: lo, through: hi, by: step))
        let out = fx.folder("slurm")
        let bin = try CLI.binary("cfclip-batch")
        let results = try runAll(tasks.map { id in
            ("/bin/bash", [root.appendingPathComponent("examples/slurm/array.sbatch").path],
             ["SLURM_ARRAY_TASK_ID": "\(id)", "SLURM_ARRAY_TASK_MIN": "\(lo)", "SLURM_ARRAY_TASK_MAX": "\(hi)",
              "SLURM_ARRAY_TASK_STEP": "\(step)", "SLURM_ARRAY_TASK_COUNT": "\(tasks.count)",
              "PIPELINE": pipeline, "OUT": out, "CFCLIP_BATCH": bin])
        })
        for (status, text) in results { XCTAssertEqual(status, 0, text) }
        let merge = try runAll([("/bin/bash", [root.appendingPathComponent("examples/slurm/merge.sbatch").path],
                                 ["OUT": out, "CFCLIP_BATCH": bin])])
        XCTAssertEqual(merge[0].0, 0, merge[0].1)
        let merged = try outputBytes(out + "/merged"), reference = try outputBytes(single)
        XCTAssertEqual(merged.keys.sorted(), reference.keys.sorted())
        XCTAssertTrue(merged == reference, "the merged Slurm parts differ from one run")
    }

    func testKubernetesIndexedJobThenMergeEqualsOneRun() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        fx.samples = 10; fx.samplesPerShard = 2
        let pipeline = try fx.write()
        let single = fx.folder("single")
        try fx.run(pipeline, output: single)

        let job = try XCTUnwrap(try Yams.load(yaml: try example("k8s/indexed-job.yaml")) as? [String: Any])
        let spec = try XCTUnwrap(job["spec"] as? [String: Any])
        XCTAssertEqual(spec["completionMode"] as? String, "Indexed")
        let completions = try XCTUnwrap(spec["completions"] as? Int)
        let pod = try XCTUnwrap(((spec["template"] as? [String: Any])?["spec"] as? [String: Any]))
        let container = try XCTUnwrap((pod["containers"] as? [[String: Any]])?.first)
        let env = Dictionary(uniqueKeysWithValues: ((container["env"] as? [[String: Any]]) ?? []).map { ($0["name"] as! String, "\($0["value"]!)") })
        XCTAssertEqual(env["CFCLIP_SHARD_COUNT"], "\(completions)", "CFCLIP_SHARD_COUNT must equal completions")
        let command = try XCTUnwrap(container["command"] as? [String]), args = try XCTUnwrap(container["args"] as? [String])
        XCTAssertEqual(command, ["cfclip-batch"])
        let data = tmp.url.appendingPathComponent("data").path
        let bin = try CLI.binary("cfclip-batch")
        // what the kubelet does: $(VAR) expanded, one pod per index; the volume is a local folder
        let results = try runAll((0..<completions).map { index in
            let a = args.map { $0.replacingOccurrences(of: "$(JOB_COMPLETION_INDEX)", with: "\(index)")
                .replacingOccurrences(of: "/data", with: data)
                .replacingOccurrences(of: "pipelines/celeba_green_lipstick.yaml", with: pipeline) }
            return (bin, a, env.merging(["JOB_COMPLETION_INDEX": "\(index)"]) { $1 })
        })
        for (status, text) in results { XCTAssertEqual(status, 0, text) }

        let mergeJob = try XCTUnwrap(try Yams.load(yaml: try example("k8s/merge-job.yaml")) as? [String: Any])
        let mergeContainer = try XCTUnwrap(((((mergeJob["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?.first)
        let line = try XCTUnwrap((mergeContainer["args"] as? [String])?.first).replacingOccurrences(of: "/data", with: data)
        let merge = try runAll([("/bin/sh", ["-c", line], ["PATH": URL(fileURLWithPath: bin).deletingLastPathComponent().path + ":/usr/bin:/bin"])])
        XCTAssertEqual(merge[0].0, 0, merge[0].1)
        XCTAssertTrue(try outputBytes(data + "/out/merged") == outputBytes(single), "the merged Kubernetes parts differ from one run")
    }

    /// nightly.sh against a golden made by the README's promotion step: exit 0; a drifted
    /// pipeline: exit 3.
    func testNightlyPassesAgainstAPromotedGoldenAndFailsOnDrift() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        let first = fx.folder("reviewed")
        try fx.run(try fx.write(name: "plain.yaml"), output: first)
        let golden = fx.folder("golden")
        let bin = try CLI.binary("cfclip-batch")
        let promote = try CLI.runTool(bin, ["merge", first, "--output", golden])
        XCTAssertEqual(promote.status, 0, promote.output)

        fx.regression = "regression:\n  golden: \(golden)\n  max_pixel_diff: 0\n  max_score_diff: 0"
        let nightly = root.appendingPathComponent("examples/nightly/nightly.sh").path
        let env = ["PIPELINE": try fx.write(name: "nightly.yaml"), "OUT_ROOT": fx.folder("nightly"), "CFCLIP_BATCH": bin]
        let ok = try CLI.runTool("/bin/bash", [nightly], environment: env)
        XCTAssertEqual(ok.status, 0, ok.output)

        fx.alpha = "3"   // another edit strength: the images move
        let drifted = try CLI.runTool("/bin/bash", [nightly], environment: env.merging(["PIPELINE": try fx.write(name: "drift.yaml"),
                                                                                         "OUT_ROOT": fx.folder("nightly-drift")]) { $1 })
        XCTAssertEqual(drifted.status, 3, drifted.output)
    }
}
