import Checkpoints
import FuzzDriver

// Any bytes as a checkpoint: format detection, then the zip, pickle (torch.save and
// TorchScript), legacy and safetensors readers, and the state-dict flattening every model
// loader starts with.
fuzzMain { bytes in
    if let value = try? loadCheckpointValue(bytes: bytes, name: "fuzz.pt") {
        _ = StateDict(flattening: value, source: "fuzz.pt").names.count
        _ = value.json
    }
}
