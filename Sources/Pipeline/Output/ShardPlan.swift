import Foundation

/// How the input is cut into shards: shard `s` holds rows [s S, (s+1) S) (S samples per
/// shard), so the shard count depends only on the input and any shard can be redone alone.
public struct ShardPlan: Sendable, Equatable {
    public let samples: Int
    public let samplesPerShard: Int

    public init(samples: Int, samplesPerShard: Int) {
        self.samples = samples; self.samplesPerShard = samplesPerShard
    }

    public var count: Int { (samples + samplesPerShard - 1) / samplesPerShard }

    public func rows(of shard: Int) -> Range<Int> {
        (shard * samplesPerShard)..<min((shard + 1) * samplesPerShard, samples)
    }
}

/// Which shards this process owns when a job is split over `count` workers: shard `s`
/// belongs to part `s % count` (round-robin, so parts get equal work whatever the input).
public struct Partition: Sendable, Equatable {
    public let index: Int
    public let count: Int

    public static let whole = Partition(index: 0, count: 1)

    public init(index: Int, count: Int) { self.index = index; self.count = count }

    public func owns(_ shard: Int) -> Bool { shard % count == index }

    /// From `--shard-index/--shard-count`, else a Slurm job array ((SLURM_ARRAY_TASK_ID -
    /// SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP, of SLURM_ARRAY_TASK_COUNT), else a Kubernetes Indexed Job
    /// (JOB_COMPLETION_INDEX; the count is not exported there, so it comes from
    /// `--shard-count` or CFCLIP_SHARD_COUNT); else the whole job.
    public static func resolve(index: Int?, count: Int?, environment env: [String: String]) throws -> Partition {
        func int(_ name: String) throws -> Int? {
            guard let s = env[name] else { return nil }
            guard let v = Int(s.trimmingCharacters(in: .whitespaces)) else {
                throw PipelineError.input(file: "$\(name)", what: "expected an integer, found '\(s)'")
            }
            return v
        }
        var i = index, n = count
        var from = "--shard-index"
        if i == nil, let id = try int("SLURM_ARRAY_TASK_ID") {
            // `--array=MIN-MAX:STEP` numbers its tasks MIN, MIN+STEP, ...: the part is the
            // task's position in that range. A list such as `0,5,9` has no position Slurm
            // tells, so it is refused rather than guessed.
            let lo = try int("SLURM_ARRAY_TASK_MIN") ?? 0, step = try int("SLURM_ARRAY_TASK_STEP") ?? 1
            let count = try int("SLURM_ARRAY_TASK_COUNT"), hi = try int("SLURM_ARRAY_TASK_MAX")
            let irregular = "the Slurm array is not one range MIN-MAX[:STEP] (SLURM_ARRAY_TASK_MIN \(lo), MAX \(hi.map(String.init) ?? "unset"), "
                + "STEP \(step), COUNT \(count.map(String.init) ?? "unset")), so this task's part is unknown: pass --shard-index I --shard-count N"
            guard step > 0, id >= lo, (id - lo) % step == 0 else { throw PipelineError.input(file: "SLURM_ARRAY_TASK_ID", what: "task \(id): " + irregular) }
            if let hi, let count, (hi - lo) / step + 1 != count || (hi - lo) % step != 0 {
                throw PipelineError.input(file: "SLURM_ARRAY_TASK_ID", what: irregular)
            }
            i = (id - lo) / step
            from = "SLURM_ARRAY_TASK_ID"
            if n == nil { n = count }
        } else if i == nil, let id = try int("JOB_COMPLETION_INDEX") {
            i = id
            from = "JOB_COMPLETION_INDEX"
        }
        if n == nil { n = try int("CFCLIP_SHARD_COUNT") }
        switch (i, n) {
        case (nil, nil): return .whole
        case (nil, _?): throw PipelineError.input(file: "--shard-count", what: "given without --shard-index (or a Slurm/Kubernetes index)")
        case (_?, nil): throw PipelineError.input(file: from, what: "gives this part's index but not the number of parts: pass --shard-count N (or set CFCLIP_SHARD_COUNT)")
        case let (i?, n?):
            guard n > 0, i >= 0, i < n else { throw PipelineError.input(file: from, what: "part index \(i) is outside 0..<\(n)") }
            return Partition(index: i, count: n)
        }
    }
}

