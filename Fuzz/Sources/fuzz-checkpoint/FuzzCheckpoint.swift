import Checkpoints

/// Any bytes as a checkpoint: format detection, then the zip, pickle (torch.save and
/// TorchScript), legacy and safetensors readers, and the state-dict flattening every model
/// loader starts with. An error is the expected outcome; a crash, a hang or a sanitizer report
/// is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if let value = try? loadCheckpointValue(bytes: bytes, name: "fuzz.pt") {
        _ = StateDict(flattening: value, source: "fuzz.pt").names.count
        _ = value.json
    }
    return 0
}
