import FixtureSupport
import Tensors
import XCTest

/// Untaped elementwise ops run in place only when no one can see it: the bugs caught are an op
/// overwriting a value its caller (or a tape) still holds, and an inference path that silently
/// allocates a copy per layer (the memory the single network definitions promise not to spend).
final class InPlaceTests: XCTestCase {
    func address(_ v: Var) -> UnsafeRawPointer { v.value.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) } }

    func testLastReferenceIsOverwrittenInPlace() {
        let ops: [(String, (consuming Var) -> Var)] = [
            ("relu", { ReLU.forward($0) }), ("sigmoid", { Sigmoid.forward($0) }), ("quickgelu", { QuickGELU.forward($0) }),
            ("prelu", { PReLU.forward($0, slope: Tensor(repeating: 0.25, shape: [3])) }),
            ("batchnorm", { BatchNorm.forward($0, scale: Tensor(repeating: 2, shape: [3]), shift: Tensor(repeating: 1, shape: [3])) }),
            ("add", { Diff.add($0, Var(Tensor(repeating: 1, shape: [2, 3, 4, 4]))) }),
            ("scalePlanes", { Elementwise.scalePlanes($0, by: Var(Tensor(repeating: 3, shape: [2, 3]))) }),
        ]
        for (name, op) in ops {
            let input = GradCheck.seeded([2, 3, 4, 4], seed: 1)
            let expected = op(Var(input)).value            // `input` is still held here: a copy
            XCTAssertEqual(input, GradCheck.seeded([2, 3, 4, 4], seed: 1), "\(name) changed a tensor its caller holds")

            let x = Var(GradCheck.seeded([2, 3, 4, 4], seed: 1))
            let before = address(x)
            let y = op(consume x)
            XCTAssertEqual(address(y), before, "\(name) allocated although its input was the last reference")
            XCTAssertEqual(y.value, expected, name)
        }
    }

    func testHeldOrTapedInputsAreNeverOverwritten() {
        let held = Var(GradCheck.seeded([2, 3, 4, 4], seed: 2))
        let copy = held.value
        let y = ReLU.forward(held)
        XCTAssertEqual(held.value, copy, "the caller's Var was overwritten")
        XCTAssertNotEqual(address(y), address(held))

        let tape = Tape()
        let p = tape.parameter(GradCheck.seeded([2, 3, 4, 4], seed: 3))
        let pv = p.value
        let z = ReLU.forward(Diff.affine(p, scale: 2))   // a taped temporary: its backward needs the value
        XCTAssertNotNil(z.tape)
        tape.backward(Diff.sum(z))
        XCTAssertEqual(p.value, pv)
        XCTAssertEqual(p.grad?.scalars, pv.scalars.map { $0 > 0 ? 2 : 0 })
    }
}
