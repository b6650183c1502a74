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

    func testJSONText() {
        let v = JSONValue.object([("s", .string("é \"q\"\n")), ("n", .null), ("d", .double(0.95)), ("b", .bigInt("119547037146038801333356"))])
        XCTAssertEqual(v.serialized(), #"{"s": "é \"q\"\n", "n": null, "d": 0.95, "b": 119547037146038801333356}"#)
        XCTAssertEqual(JSONValue.parse(Data(v.serialized().utf8))?["d"], .double(0.95))
    }
}
