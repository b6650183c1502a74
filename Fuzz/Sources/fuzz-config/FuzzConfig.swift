import Pipeline

/// Any bytes as a pipeline YAML: the strict decoding and the cross-section checks.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? PipelineConfig.parse(text, file: "fuzz.yaml", baseDirectory: "/nonexistent")
    return 0
}
