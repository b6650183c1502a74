import FileIO
import Foundation
import Synchronization

/// How much one checkpoint may make a loader build. A few hundred hostile bytes can describe
/// billions of objects (pickle memo references shared at every level: a "billion laughs") or
/// gigabytes of tensors (stride-0 views of a 4-byte storage); these limits turn both into an
/// error naming the limit. Real checkpoints stay far inside them: the largest used here (CLIP
/// ViT-B/32, fp16) holds ~10,000 objects and materialises 2x its size as float32.
///
/// Each limit can be raised for a trusted file through the environment:
/// `CFCLIP_MAX_LOAD_OBJECTS`, `CFCLIP_MAX_LOAD_BYTES` (one file), `CFCLIP_MAX_LOAD_TOTAL_BYTES`
/// (all files of a process); numbers take a K, M or G suffix.
public struct LoadLimits: Sendable, Equatable {
    /// Values built from one file's pickle (containers, numbers, strings, tensors).
    public var maxObjects: Int
    /// Tensor bytes materialised from one file; nil: 4x the file's size plus 64 MiB (float16
    /// becomes float32; integer tensors keep an exact Int64 copy as well).
    public var maxBytes: Int?
    /// Tensor bytes materialised by every load of this process together.
    public var maxTotalBytes: Int

    public init(maxObjects: Int = 2_000_000, maxBytes: Int? = nil, maxTotalBytes: Int = LoadLimits.defaultTotal) {
        self.maxObjects = maxObjects; self.maxBytes = maxBytes; self.maxTotalBytes = maxTotalBytes
    }

    public static var defaultTotal: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory / 4 * 3) }

    /// The limits in force: defaults, overridden by the environment variables.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> LoadLimits {
        var l = LoadLimits()
        if let v = try size(env, "CFCLIP_MAX_LOAD_OBJECTS") { l.maxObjects = v }
        if let v = try size(env, "CFCLIP_MAX_LOAD_BYTES") { l.maxBytes = v }
        if let v = try size(env, "CFCLIP_MAX_LOAD_TOTAL_BYTES") { l.maxTotalBytes = v }
        return l
    }

    /// "123", "64K", "512M", "8G" (powers of 1024).
    static func size(_ env: [String: String], _ name: String) throws -> Int? {
        guard let raw = env[name] else { return nil }
        guard let v = ByteCount.parse(raw) else {
            throw CheckpointError.unsupported(file: "$" + name, what: "expected a positive number of bytes such as 2G, found '\(raw)'")
        }
        return v
    }

    /// Bytes materialised by all loads of this process so far.
    static let totalMaterialised = Atomic<Int>(0)
}

/// The running count of one file's load against `LoadLimits`.
final class LoadBudget {
    let file: String
    let limits: LoadLimits
    let maxBytes: Int
    private(set) var objects = 0
    private(set) var bytes = 0

    init(file: String, fileSize: Int, limits: LoadLimits? = nil) throws {
        self.file = file
        let l = try limits ?? LoadLimits.fromEnvironment()
        self.limits = l
        maxBytes = l.maxBytes ?? fileSize.multipliedReportingOverflow(by: 4).partialValue.addingReportingOverflow(64 << 20).partialValue
    }

    /// One more value built.
    @inline(__always) func object() throws {
        objects += 1
        if objects > limits.maxObjects {
            throw CheckpointError.unsupported(file: file, what: "builds more than \(limits.maxObjects) objects (containers shared at every level, a 'billion laughs'?); "
                + "for a trusted file raise CFCLIP_MAX_LOAD_OBJECTS")
        }
    }

    /// A tensor of `elements` values of `dtype` is about to be materialised.
    func tensor(elements: Int, dtype: StoredDType, shape: [Int]) throws {
        let per = dtype.isFloatingPoint ? 4 : 12
        let (n, o) = elements.multipliedReportingOverflow(by: per)
        let add = o ? Int.max : n
        let (sum, o2) = bytes.addingReportingOverflow(add)
        bytes = o2 ? Int.max : sum
        if bytes > maxBytes {
            throw CheckpointError.unsupported(file: file, what: "its tensors (the last of shape \(shapeText(shape))) would take more than "
                + "\(Self.mib(maxBytes)) in memory (stride-0 or overlapping views?); for a trusted file raise CFCLIP_MAX_LOAD_BYTES (now \(maxBytes))")
        }
        let total = LoadLimits.totalMaterialised.add(add, ordering: .relaxed).newValue
        if total > limits.maxTotalBytes || total < 0 {
            throw CheckpointError.unsupported(file: file, what: "loading it would take the tensors of this process past \(Self.mib(limits.maxTotalBytes)); "
                + "raise CFCLIP_MAX_LOAD_TOTAL_BYTES (now \(limits.maxTotalBytes)) if that is expected")
        }
    }

    static func mib(_ b: Int) -> String { String(format: "%.1f MiB", Double(b) / Double(1 << 20)) }
}
