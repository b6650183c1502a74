@testable import Checkpoints
import Tensors
import FixtureSupport
import XCTest

final class StateDictTests: XCTestCase {
    private func sample() -> StateDict {
        let value = PickleValue.dict([
            (.string("g_ema"), .dict([
                (.string("style.1.weight"), .tensor(StoredTensor(Tensor(zeros: [4, 4])))),
                (.string("conv1.bias"), .tensor(StoredTensor(Tensor(zeros: [3])))),
                (.string("bn.num_batches_tracked"), .tensor(StoredTensor(dtype: .int64, values: Tensor(zeros: []), ints: [7]))),
            ])),
            (.string("latent_avg"), .tensor(StoredTensor(Tensor(zeros: [4])))),
            (.string("args"), .dict([(.string("size"), .int(1024)), (.string("betas"), .tuple([.float(0.9), .float(0.99)]))])),
            (.string("ada_aug_p"), .float(0.25)),
            (.string("layers"), .list([.tensor(StoredTensor(Tensor(zeros: [1]))), .none])),
        ])
        return StateDict(flattening: value, source: "ckpt.pt")
    }

    func testFlatteningJoinsKeysWithDots() {
        let dict = sample()
        XCTAssertEqual(dict.names, ["g_ema.style.1.weight", "g_ema.conv1.bias", "g_ema.bn.num_batches_tracked", "latent_avg", "layers.0"])
        XCTAssertEqual(dict.objects.map(\.name), ["args", "ada_aug_p", "layers.1"])
        XCTAssertEqual(dict.objects[0].value.serialized(), #"{"size": 1024, "betas": [0.9, 0.99]}"#)
        XCTAssertEqual(dict.ints["g_ema.bn.num_batches_tracked"], [7])
    }

    func testSelectingPrefix() {
        let g = sample().selecting(prefix: "g_ema.")
        XCTAssertEqual(g.names, ["style.1.weight", "conv1.bias", "bn.num_batches_tracked"])
        XCTAssertEqual(g.dtypes["bn.num_batches_tracked"], .int64)
    }

    func testCheckReportsEveryProblemAtOnce() {
        let g = sample().selecting(prefix: "g_ema.")
        XCTAssertNoThrow(try g.check(expected: ["style.1.weight": [4, 4], "conv1.bias": [3]]))
        XCTAssertThrowsError(try g.check(expected: ["style.1.weight": [4, 5], "style.2.weight": [4, 4],
                                                    "kernel": [4, 4]], optional: { $0 == "kernel" })) { error in
            guard case let .mismatch(source, problems) = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertEqual(source, "ckpt.pt")
            XCTAssertEqual(problems, [
                "shape mismatch for 'style.1.weight': expected [4, 5], found [4, 4]",
                "missing key 'style.2.weight' (expected shape [4, 4])",
                "unexpected key 'conv1.bias' (shape [3])",
            ])
        }
    }

    func testJSONText() {
        let v = JSONValue.object([("s", .string("é \"q\"\n")), ("n", .null), ("d", .double(0.95)), ("b", .bigInt("119547037146038801333356"))])
        XCTAssertEqual(v.serialized(), #"{"s": "é \"q\"\n", "n": null, "d": 0.95, "b": 119547037146038801333356}"#)
        XCTAssertEqual(JSONValue.parse(Data(v.serialized().utf8))?["d"], .double(0.95))
    }
}
