import Foundation
import Tensors

/// `fixtures/formats`: every .pt of the folder must load to exactly the tensors of
/// expected.safetensors. Filled in with the checkpoint readers.
enum FormatsParity {
    static func run(_ dir: String) throws -> [ParityResult] { [] }
}
