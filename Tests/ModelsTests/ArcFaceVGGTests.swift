import Editing
import Checkpoints
import FixtureSupport
import Foundation
import Models
import Tensors
import XCTest

/// IR-SE backbone and VGG19 loading: configuration from the weights, every load problem listed
/// at once, both VGG key layouts, and the small ops they are built from.
final class ArcFaceVGGTests: XCTestCase {
    func json(_ folder: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try Fixtures.file(folder, "config.json")))) as! [String: Any]
    }

    func fixtureStages() throws -> [(units: Int, stride: Int)] {
        (try json("arcface")["stages"] as! [[String: Any]]).map { ($0["num_units"] as! Int, $0["first_stride"] as! Int) }
    }

    /// A dict holding `src` minus `drop`, with `replace` and `add` applied.
    func edited(_ src: StateDict, drop: Set<String>, replace: [String: Tensor] = [:], add: [String: Tensor] = [:]) -> StateDict {
        var d = StateDict(source: "broken.pt")
        for n in src.names where !drop.contains(n) { d.insert(n, replace[n].map { StoredTensor($0) } ?? src.stored(n)!) }
        for (n, t) in add { d.insert(n, StoredTensor(t)) }
        return d
    }

    // MARK: ArcFace

    func testBackboneConfigurationMatchesConfigJSON() throws {
        let cfg = try json("arcface")
        let dict = try StateDict.load(try Fixtures.file("arcface", "checkpoint.pt"))
        let net = try Backbone.load(from: dict, source: "fixture", stages: try fixtureStages())
        let stages = cfg["stages"] as! [[String: Any]]
        XCTAssertEqual(net.config.stages.map(\.inChannel), stages.map { $0["in_channel"] as! Int })
        XCTAssertEqual(net.config.stages.map(\.depth), stages.map { $0["depth"] as! Int })
        XCTAssertEqual(net.config.stages.map(\.numUnits), stages.map { $0["num_units"] as! Int })
        XCTAssertEqual(net.config.stem, (cfg["input_layer"] as! [String: Any])["conv"].flatMap { ($0 as! [Int])[1] })
        XCTAssertEqual(net.config.embeddingDim, cfg["embedding_dim"] as? Int)
        XCTAssertEqual(net.config.inputSize, cfg["input_size"] as? Int)
    }

    func testIRSE50HasTheReferenceKeysAndParameters() throws {
        // reference.md §5: 397 entries with num_batches_tracked, 343 without; 43,797,696 parameters
        let c = BackboneConfig.irse(numLayers: 50)
        XCTAssertEqual(c.stateDictShapes(withCounters: true).count, 397)
        XCTAssertEqual(c.stateDictShapes().count, 343)
        let params = c.stateDictShapes().filter { !$0.name.hasSuffix("running_mean") && !$0.name.hasSuffix("running_var") }
            .reduce(0) { $0 + $1.shape.reduce(1, *) }
        XCTAssertEqual(params, 43_797_696)
        XCTAssertEqual(c.units.count, 24)
        XCTAssertEqual(c.units.indices.filter { c.units[$0].stride == 2 }, [0, 3, 7, 21])
        XCTAssertEqual(c.units.indices.filter { c.units[$0].hasShortcutConv }, [3, 7, 21])
        // the released layout is unambiguous: the loader finds the same table with no hints
        let net = try Backbone.load(from: c.randomStateDict(seed: 5), source: "random")
        XCTAssertEqual(net.config, c)
    }

    /// Stages that keep their width leave no trace in the weights: the loader asks for the table.
    func testAmbiguousStagesNeedTheStageTable() throws {
        let c = BackboneConfig(stem: 4, stages: [.init(inChannel: 4, depth: 4, numUnits: 1), .init(inChannel: 4, depth: 8, numUnits: 1),
                                                 .init(inChannel: 8, depth: 8, numUnits: 1), .init(inChannel: 8, depth: 8, numUnits: 1)],
                               featureSize: 7, embeddingDim: 6)
        let dict = c.randomStateDict(seed: 6)
        XCTAssertThrowsError(try Backbone.load(from: dict, source: "tiny.pt")) {
            XCTAssertTrue("\($0)".contains("config.json 'stages'"), "\($0)")
        }
        let net = try Backbone.load(from: dict, source: "tiny.pt", stages: [(1, 2), (1, 2), (1, 2), (1, 2)])
        XCTAssertEqual(net.config, c)
        let x = Tensor(shape: [2, 3, 112, 112], values: SeededNoise.gaussian(count: 2 * 3 * 112 * 112, seed: 7))
        let e = try net.embedding(x)
        XCTAssertEqual(e.shape, [2, 6])
        for r in 0..<2 { XCTAssertEqual((0..<6).reduce(Float(0)) { $0 + e[flat: r * 6 + $1] * e[flat: r * 6 + $1] }, 1, accuracy: 1e-5) }
        XCTAssertThrowsError(try net.embedding(Tensor(zeros: [1, 3, 64, 64])))
    }

    func testBackboneLoadProblemsAreListedAtOnce() throws {
        let src = try StateDict.load(try Fixtures.file("arcface", "checkpoint.pt"))
        XCTAssertTrue(src.names.contains { $0.hasSuffix("num_batches_tracked") })   // ignored, not "unexpected"
        let bias = try src.tensor("output_layer.3.bias")
        let dict = edited(src, drop: ["body.1.res_layer.2.weight"],
                          replace: ["output_layer.3.bias": Tensor(zeros: [bias.count + 1])],
                          add: ["body.0.extra.weight": Tensor(zeros: [2])])
        XCTAssertThrowsError(try Backbone.load(from: dict, source: "broken.pt", stages: try fixtureStages())) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("broken.pt: 3 problems"), text)
            XCTAssertTrue(text.contains("missing key 'body.1.res_layer.2.weight'"), text)
            XCTAssertTrue(text.contains("'output_layer.3.bias': expected shape [\(bias.count)], found [\(bias.count + 1)]"), text)
            XCTAssertTrue(text.contains("unexpected key 'body.0.extra.weight'"), text)
        }
        XCTAssertThrowsError(try Backbone.load(from: StateDict(source: "empty.pt"), source: "empty.pt")) {
            XCTAssertTrue("\($0)".contains("input_layer.0.weight"), "\($0)")
        }
    }

    func testIdentityOfAnImageWithItselfIsOne() throws {
        let c = BackboneConfig(stem: 4, stages: [.init(inChannel: 4, depth: 8, numUnits: 1), .init(inChannel: 8, depth: 12, numUnits: 1),
                                                 .init(inChannel: 12, depth: 16, numUnits: 2), .init(inChannel: 16, depth: 20, numUnits: 1)],
                               featureSize: 7, embeddingDim: 5)
        let loss = IDLoss(facenet: try Backbone.load(from: c.randomStateDict(seed: 8), source: "random"))
        let x = Tensor(shape: [2, 3, 128, 128], values: SeededNoise.gaussian(count: 2 * 3 * 128 * 128, seed: 9).map { tanh($0) })
        XCTAssertEqual(try loss.preprocess(x).shape, [2, 3, 112, 112])
        for s in try loss.similarity(x, x) { XCTAssertEqual(s, 1, accuracy: 1e-5) }
        XCTAssertEqual(try loss(x, x), 0, accuracy: 1e-5)
    }

    // MARK: VGG

    func testVGGLayoutsGiveTheSameFeatures() throws {
        let tv = try VGG.load(from: try StateDict.load(try Fixtures.file("vgg19", "checkpoint.pt")), source: "tv")
        let cf = try VGG.load(from: try StateDict.load(try Fixtures.file("vgg19", "checkpoint_cfclip.pt")), source: "cf")
        XCTAssertEqual(tv.layout, .torchvision)
        XCTAssertEqual(cf.layout, .cfclip)
        let cfg = try json("vgg19")
        XCTAssertEqual(tv.widths, (cfg["cfg"] as! [Any]).compactMap { $0 as? Int })
        let x = Tensor(shape: [1, 3, 32, 32], values: SeededNoise.gaussian(count: 3 * 32 * 32, seed: 10))
        let a = try tv.features(x, ["relu5_2", "r42"]), b = try cf.features(x, ["relu5_2", "r42"])
        XCTAssertEqual(a["relu5_2"], b["relu5_2"])
        XCTAssertEqual(a["r42"], b["r42"])
        XCTAssertEqual(a["relu5_2"]?.shape, [1, tv.widths[13], 2, 2])
    }

    func testVGGLayerTableMatchesTorchvisionIndices() throws {
        let indices = try json("vgg19")["torchvision_conv_indices"] as! [String: Int]
        for l in VGGLayers.table { XCTAssertEqual(indices[l.name], l.featuresIndex, l.name) }
        XCTAssertEqual(VGGLayers.layer(named: "r52"), VGGLayers.layer(named: "relu5_2"))
        XCTAssertEqual(VGGLayers.layer(named: "31"), VGGLayers.layer(named: "relu5_2"))
        XCTAssertEqual(VGGLayers.layer(named: "22"), VGGLayers.layer(named: "relu4_2"))
        XCTAssertNil(VGGLayers.layer(named: "relu6_1"))
    }

    /// TediGAN's vgg16.pth (idinvert `layerN` keys): recognised as VGG16 (a wrong depth would
    /// put a pool where the weights have a conv and fail on shapes, or run conv3_4 that does
    /// not exist), features equal to the same weights under torchvision VGG16 keys.
    func testTediGANVGG16LoadsAsVGG16() throws {
        let dict = try StateDict.load(try Fixtures.file("methods", "vgg16_tedigan.pt"))
        let vgg = try VGG.load(from: dict, source: "vgg16_tedigan.pt")
        XCTAssertEqual(vgg.layout, .idinvert)
        XCTAssertEqual(vgg.depth, .vgg16)
        XCTAssertEqual(vgg.convs.map(\.layer.featuresIndex), [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28])
        var tv = StateDict(source: "tv16")
        for n in dict.names { tv.insert(n.replacingOccurrences(of: "layer", with: "features."), dict.stored(n)!) }
        let same = try VGG.load(from: tv, source: "tv16")
        XCTAssertEqual(same.depth, .vgg16)
        let x = Tensor(shape: [1, 3, 32, 32], values: SeededNoise.gaussian(count: 3 * 32 * 32, seed: 12))
        let a = try vgg.features(x, ["relu4_3"])["relu4_3"]!, b = try same.features(x, ["relu4_3"])["relu4_3"]!
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.shape, [1, vgg.widths[9], 4, 4], "relu4_3 comes after three pools")
        XCTAssertThrowsError(try vgg.features(x, ["relu3_4"])) { XCTAssertTrue("\($0)".contains("VGG16 has no layer 'relu3_4'"), "\($0)") }
        // random VGG16 dicts in every layout load back as VGG16
        for layout in [VGGKeyLayout.torchvision, .cfclip, .idinvert] {
            let r = try VGG.load(from: VGG.randomStateDict(depth: .vgg16, widths: vgg.widths, layout: layout, seed: 3), source: "r")
            XCTAssertEqual(r.depth, .vgg16); XCTAssertEqual(r.layout, layout)
        }
    }

    func testVGGLoadProblemsAreListedAtOnce() throws {
        let src = try StateDict.load(try Fixtures.file("vgg19", "checkpoint.pt"))
        let w = try src.tensor("features.2.weight")
        let wrong = [w.shape[0], w.shape[1] + 1, 3, 3]
        let dict = edited(src, drop: ["features.30.bias"], replace: ["features.2.weight": Tensor(zeros: wrong)],
                          add: ["features.99.weight": Tensor(zeros: [1]), "classifier.0.weight": Tensor(zeros: [2, 2])])
        XCTAssertThrowsError(try VGG.load(from: dict, source: "broken.pt")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("broken.pt: 3 problems"), text)
            XCTAssertTrue(text.contains("missing key 'features.30.bias'"), text)
            XCTAssertTrue(text.contains("'features.2.weight': expected shape \(Shape.text([w.shape[0], w.shape[1], 3, 3])), found \(Shape.text(wrong))"), text)
            XCTAssertTrue(text.contains("unexpected key 'features.99.weight'"), text)
        }
        XCTAssertThrowsError(try VGG.load(from: StateDict(source: "x.pt"), source: "x.pt")) {
            XCTAssertTrue("\($0)".contains("conv1_1.weight"), "\($0)")
        }
    }

    // MARK: ops

    func testPoolingNormAndActivations() {
        let x = Tensor(shape: [1, 2, 3, 3], values: (0..<18).map { Float($0) - 9 })
        XCTAssertEqual(MaxPool2D.forward(x, kernel: 2, stride: 2).scalars, [-5, 4])
        XCTAssertEqual(MaxPool2D.forward(x, kernel: 1, stride: 2).scalars, [-9, -7, -3, -1, 0, 2, 6, 8])
        var p = x
        PReLU.forwardInPlace(&p, slope: Tensor(shape: [2], values: [0.5, 2]))
        XCTAssertEqual(p[flat: 0], -4.5)
        XCTAssertEqual(p[flat: 9], 0)
        XCTAssertEqual(Pool.globalAverage(x).scalars, [-5, 4])
        let (s, t) = BatchNorm.coefficients(weight: Tensor(shape: [2], values: [2, 1]), bias: Tensor(shape: [2], values: [1, 0]),
                                            runningMean: Tensor(shape: [2], values: [1, -1]),
                                            runningVar: Tensor(shape: [2], values: [4 - 1e-5, 1 - 1e-5]))
        let y = BatchNorm.forward(x, scale: s, shift: t)
        XCTAssertEqual(y[flat: 0], (-9 - 1) / 2 * 2 + 1, accuracy: 1e-5)
        XCTAssertEqual(y[flat: 9], 0 + 1, accuracy: 1e-5)
        let n = L2Normalize.forward(Tensor(shape: [1, 2], values: [3, 4]), floor: 0)
        XCTAssertEqual(n.scalars, [0.6, 0.8])
    }

    func testGramMatrix() {
        let x = Tensor(shape: [1, 2, 1, 2], values: [1, 2, 3, 4])
        XCTAssertEqual(Gram.forward(x).scalars, [5, 11, 11, 25].map { $0 / 4 })
        XCTAssertEqual(MeanError.absolute(x, Tensor(zeros: [1, 2, 1, 2])), 2.5)
        XCTAssertEqual(MeanError.squared(x, Tensor(zeros: [1, 2, 1, 2])), 7.5)
    }
}
