import FuzzDriver
import Pipeline

// Any bytes as a pipeline YAML: the strict decoding and the cross-section checks.
fuzzMain { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? PipelineConfig.parse(text, file: "fuzz.yaml", baseDirectory: "/nonexistent")
}
