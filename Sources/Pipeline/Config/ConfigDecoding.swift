import StrictYAML
import Training

/// Decodable conformances of the pipeline file, strict about keys, with the defaults
/// documented in PipelineConfig.swift.
extension PipelineConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case models, source, edits, scores, output, runtime, regression }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        models = try c.decode(ModelsConfig.self, forKey: .models)
        let section = try c.decode(SourceSection.self, forKey: .source)
        source = section.source
        rows = section.rows
        edits = try c.decode([EditEntry].self, forKey: .edits).flatMap(\.expanded)
        if edits.isEmpty { throw ConfigIssue(path: c.codingPath + [CodingKeys.edits], what: "needs at least one edit") }
        scores = try c.decodeIfPresent(ScoresConfig.self, forKey: .scores) ?? ScoresConfig()
        if !scores.metricsGiven {
            let (hasCLIP, hasArcFace, hasSource) = (models.clip != nil || scores.clip != nil, models.arcface != nil, !(scores.sourceText ?? "").isEmpty)
            scores.metrics = Metric.allCases.filter { m in
                switch m {
                case .clipSimilarity: return hasCLIP
                case .directionalCLIP: return hasCLIP && hasSource
                case .identity: return hasArcFace
                case .latentL2: return true
                }
            }
        }
        output = try c.decode(OutputConfig.self, forKey: .output)
        runtime = try c.decodeIfPresent(RuntimeConfig.self, forKey: .runtime) ?? RuntimeConfig()
        regression = try c.decodeIfPresent(RegressionConfig.self, forKey: .regression)
    }
}

extension ModelsConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case generator, clip, arcface, vgg }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        generator = try c.decodeIfPresent(String.self, forKey: .generator)
        vgg = try c.decodeIfPresent(String.self, forKey: .vgg)
        clip = try c.decodeIfPresent(CLIPModelConfig.self, forKey: .clip)
        arcface = try c.decodeIfPresent(ArcFaceConfig.self, forKey: .arcface)
    }
}

extension CLIPModelConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case checkpoint, vocabulary
        case visionHeads = "vision_heads", textHeads = "text_heads"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        checkpoint = try c.decode(String.self, forKey: .checkpoint)
        vocabulary = try c.decode(String.self, forKey: .vocabulary)
        visionHeads = try c.decodeIfPresent(Int.self, forKey: .visionHeads)
            .map { try c.require($0, { $0 > 0 }, forKey: .visionHeads, "must be a positive integer") }
        textHeads = try c.decodeIfPresent(Int.self, forKey: .textHeads)
            .map { try c.require($0, { $0 > 0 }, forKey: .textHeads, "must be a positive integer") }
    }
}

extension ArcFaceConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case checkpoint, stageUnits = "stage_units" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        checkpoint = try c.decode(String.self, forKey: .checkpoint)
        stageUnits = try c.decodeIfPresent([Int].self, forKey: .stageUnits)
            .map { try c.require($0, { !$0.isEmpty && $0.allSatisfy { $0 > 0 } }, forKey: .stageUnits, "must list positive unit counts") }
    }
}

/// `source:`: exactly one of `hdf5` / `sampled`, and which of its rows run (`rows` or `limit`).
struct SourceSection: Decodable {
    var source: SourceConfig
    var rows: RowSelection

    enum CodingKeys: String, CodingKey, CaseIterable { case hdf5, sampled, rows, limit }

    init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        switch (c.contains(.hdf5), c.contains(.sampled)) {
        case (true, false): source = .hdf5(try c.decode(HDF5SourceConfig.self, forKey: .hdf5))
        case (false, true): source = .sampled(try c.decode(SampledSourceConfig.self, forKey: .sampled))
        default: throw ConfigIssue(path: decoder.codingPath, what: "give exactly one of 'hdf5' (latent file) or 'sampled' (seeded codes)")
        }
        switch (c.contains(.rows), c.contains(.limit)) {
        case (true, true): throw ConfigIssue(path: c.codingPath + [CodingKeys.limit], what: "give 'rows' or 'limit', not both")
        case (false, true):
            rows = .first(try c.require(try c.decode(Int.self, forKey: .limit), { $0 >= 0 }, forKey: .limit, "must be 0 or more"))
        case (true, false): rows = .listed(try Self.rows(c))
        case (false, false): rows = .all
        }
    }

    /// `rows: [0, 7, "10-19"]`: indices and inclusive ranges, returned sorted; a repeat is an
    /// error (a sample would be written twice).
    static func rows(_ c: KeyedDecodingContainer<CodingKeys>) throws -> [Int] {
        var list = try c.nestedUnkeyedContainer(forKey: .rows)
        var out: [Int] = []
        while !list.isAtEnd {
            let path = list.codingPath + [AnyKey(intValue: list.currentIndex)!]
            if let i = try? list.decode(Int.self) {
                guard i >= 0 else { throw ConfigIssue(path: path, what: "a sample index must be 0 or more, found \(i)") }
                out.append(i)
                continue
            }
            let text = try list.decode(String.self)
            let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, let a = parts[0], let b = parts[1], a >= 0, a <= b, b - a < 10_000_000 else {
                throw ConfigIssue(path: path, what: "expected a sample index or a range 'FIRST-LAST' (e.g. 10-19), found '\(text)'")
            }
            out += Array(a...b)
        }
        let sorted = out.sorted()
        if let dup = zip(sorted, sorted.dropFirst()).first(where: { $0.0 == $0.1 }) {
            throw ConfigIssue(path: c.codingPath + [CodingKeys.rows], what: "sample \(dup.0) is listed twice")
        }
        if sorted.isEmpty { throw ConfigIssue(path: c.codingPath + [CodingKeys.rows], what: "lists no sample") }
        return sorted
    }
}

extension HDF5SourceConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case path, dataset, limit, allowExternalStorage = "allow_external_storage" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        dataset = try c.decodeIfPresent(String.self, forKey: .dataset) ?? "latents"
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
            .map { try c.require($0, { $0 >= 0 }, forKey: .limit, "must be 0 or more") }
        allowExternalStorage = try c.decodeIfPresent(Bool.self, forKey: .allowExternalStorage) ?? false
    }
}

extension SampledSourceConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case seed, count, truncation, center }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        seed = try c.decode(UInt32.self, forKey: .seed)
        count = try c.require(try c.decode(Int.self, forKey: .count), { $0 >= 0 }, forKey: .count, "must be 0 or more")
        truncation = try c.decodeIfPresent(Float.self, forKey: .truncation) ?? 0.7
        center = try c.decodeChoice(Center.self, forKey: .center) ?? .latentAvg
    }
}

/// One entry of `edits:`; an `alpha` list expands it into one edit per value, named
/// `NAME@ALPHA` (`lipstick@0.5`, `lipstick@1.0`).
struct EditEntry: Decodable {
    var expanded: [EditConfig]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, text, method, mapper, generator, alpha, optimize
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        let name = try c.require(try c.decode(String.self, forKey: .name), EditConfig.isValidBaseName, forKey: .name,
                                 "must be letters, digits, '_' or '-', at most \(EditConfig.maxNameLength) of them (it names files KEY.NAME.png in tar members of 100 bytes), and not 'src'")
        let text = try c.decode(String.self, forKey: .text)
        let method = try c.decodeChoice(EditConfig.Method.self, forKey: .method)
        let mapper = try c.decodeIfPresent(String.self, forKey: .mapper)
        let generator = try c.decodeIfPresent(String.self, forKey: .generator)
        func issue(_ key: CodingKeys, _ what: String) -> ConfigIssue { ConfigIssue(path: c.codingPath + [key], what: what) }
        switch method {
        case .optimize?, .none?:
            if mapper != nil { throw issue(.mapper, "method \(method!.rawValue) uses no mapper; remove 'mapper'") }
        case .cfclipMapper?, .styleclipMapper?, nil:
            if mapper == nil { throw issue(.mapper, "missing: method \(method?.rawValue ?? "cfclip-mapper or styleclip-mapper") needs a mapper checkpoint") }
        }
        if method == EditConfig.Method.none && generator == nil {
            throw issue(.generator, "missing: method none renders the source latent with the edit's own generator (e.g. a StyleGAN-NADA one)")
        }
        var optimization: OptimizationSettings? = nil
        if c.contains(.optimize) {
            guard method == .optimize else { throw issue(.optimize, "only method optimize takes 'optimize' settings") }
            optimization = try c.decode(OptimizeSection.self, forKey: .optimize).settings
        } else if method == .optimize {
            throw issue(.optimize, "missing: method optimize needs 'optimize: {preset: styleclip or tedigan}'")
        }
        // alpha: one number, or a list that expands the entry
        var alphas: [Float]? = nil
        if c.contains(.alpha) {
            if let one = try? c.decode(Float.self, forKey: .alpha) {
                alphas = [one]
            } else if let list = try? c.decode([Float].self, forKey: .alpha), !list.isEmpty {
                alphas = list
            } else {
                let raw = (try? c.decode(String.self, forKey: .alpha)) ?? "a value of another kind"
                throw issue(.alpha, "expected a number or a list of numbers, found '\(raw)'")
            }
            if let bad = alphas!.first(where: { !$0.isFinite }) { throw issue(.alpha, "must be finite, found \(bad)") }
            if (method == .optimize || method == EditConfig.Method.none) && alphas != [1] {
                throw issue(.alpha, "only mapper edits have a strength; method \(method!.rawValue) takes no alpha")
            }
        }
        let swept = (try? c.decode([Float].self, forKey: .alpha)) != nil
        expanded = try (alphas ?? [1]).map { a in
            let full = swept ? "\(name)@\(a)" : name
            guard full.utf8.count <= EditConfig.maxNameLength else {
                throw issue(.name, "'\(full)' is longer than \(EditConfig.maxNameLength) bytes")
            }
            return EditConfig(name: full, text: text, method: method, mapper: mapper, generator: generator, alpha: a, optimization: optimization)
        }
    }
}

/// `optimize:` of an edit: a preset, then any of its settings overridden.
struct OptimizeSection: Decodable {
    var settings: OptimizationSettings

    enum CodingKeys: String, CodingKey, CaseIterable {
        case preset, steps, lr, rampUp = "ramp_up", rampDown = "ramp_down", start, startSeed = "start_seed", weights
    }

    enum WeightKeys: String, CodingKey, CaseIterable {
        case clip, latentL2Sum = "latent_l2_sum", latentMSE = "latent_mse", identity, pixelMSE = "pixel_mse", perceptual
    }

    /// `weights:`: any of the six, each 0 or more (0 turns the term off).
    struct WeightsSection: Decodable {
        var values: [(WeightKeys, Float)] = []
        init(from decoder: Decoder) throws {
            let w = try decoder.strictContainer(WeightKeys.self)
            for k in WeightKeys.allCases where w.contains(k) {
                values.append((k, try w.require(try w.decode(Float.self, forKey: k), { $0.isFinite && $0 >= 0 }, forKey: k, "must be 0 or more")))
            }
        }
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        guard let preset = try c.decodeChoice(OptimizationSettings.Preset.self, forKey: .preset) else {
            throw ConfigIssue(path: c.codingPath + [CodingKeys.preset], what: "missing: styleclip or tedigan")
        }
        var s = OptimizationSettings(preset: preset)
        s.steps = try c.require(try c.decodeIfPresent(Int.self, forKey: .steps) ?? s.steps, { (1...100_000).contains($0) },
                                forKey: .steps, "must be 1-100000")
        s.lr = try c.require(try c.decodeIfPresent(Double.self, forKey: .lr) ?? s.lr, { $0.isFinite && $0 >= 0 }, forKey: .lr, "must be 0 or more")
        s.rampUp = try c.require(try c.decodeIfPresent(Double.self, forKey: .rampUp) ?? s.rampUp, { $0 > 0 && $0 <= 1 }, forKey: .rampUp, "must be in (0, 1]")
        s.rampDown = try c.require(try c.decodeIfPresent(Double.self, forKey: .rampDown) ?? s.rampDown, { $0 > 0 && $0 <= 1 }, forKey: .rampDown, "must be in (0, 1]")
        s.start = try c.decodeChoice(OptimizationSettings.Start.self, forKey: .start) ?? s.start
        s.startSeed = try c.decodeIfPresent(UInt32.self, forKey: .startSeed) ?? s.startSeed
        if let w = try c.decodeIfPresent(WeightsSection.self, forKey: .weights) {
            for (k, v) in w.values {
                switch k {
                case .clip: s.weights.clip = v
                case .latentL2Sum: s.weights.latentL2Sum = v
                case .latentMSE: s.weights.latentMSE = v
                case .identity: s.weights.identity = v
                case .pixelMSE: s.weights.pixelMSE = v
                case .perceptual: s.weights.perceptual = v
                }
            }
        }
        settings = s
    }
}

extension EditConfig {
    /// Longest edit name: `KEY.NAME.png` must fit a tar member name (100 bytes) with room for
    /// keys past nine digits.
    static let maxNameLength = 64

    /// A name as written in the file (letters, digits, `_`, `-`; not `src` or `json`).
    static func isValidBaseName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= maxNameLength && s != "src" && s != "json" && s.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
    }

    /// A base name, or `BASE@ALPHA` as an alpha list expands it (`lipstick@0.5`).
    static func isValidName(_ s: String) -> Bool {
        guard let at = s.firstIndex(of: "@") else { return isValidBaseName(s) }
        let base = String(s[..<at]), alpha = String(s[s.index(after: at)...])
        return isValidBaseName(base) && s.utf8.count <= maxNameLength && Float(alpha).map { $0.isFinite } == true
            && alpha.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == "e" }
    }
}

extension ScoresConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case metrics, sourceText = "source_text", clip }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        if c.contains(.metrics) {
            var list = try c.nestedUnkeyedContainer(forKey: .metrics)
            var metrics: [Metric] = []
            while !list.isAtEnd {
                let path = list.codingPath + [AnyKey(intValue: list.currentIndex)!]
                let raw = try list.decode(String.self)
                guard let m = Metric(rawValue: raw) else {
                    throw ConfigIssue(path: path, what: "unknown metric '\(raw)' (expected one of: \(Metric.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                if !metrics.contains(m) { metrics.append(m) }
            }
            self.metrics = metrics
            metricsGiven = true
        }
        sourceText = try c.decodeIfPresent(String.self, forKey: .sourceText)
        clip = try c.decodeIfPresent(CLIPModelConfig.self, forKey: .clip)
    }
}

extension OutputConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case dir, format, imageFormat = "image_format", jpegQuality = "jpeg_quality", samplesPerShard = "samples_per_shard"
        case imageSize = "image_size"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        dir = try c.decode(String.self, forKey: .dir)
        format = try c.decodeChoice(Format.self, forKey: .format) ?? .tar
        imageFormat = try c.decodeChoice(ImageFormat.self, forKey: .imageFormat) ?? .png
        jpegQuality = try c.require(try c.decodeIfPresent(Int.self, forKey: .jpegQuality) ?? 95, { (1...100).contains($0) },
                                    forKey: .jpegQuality, "must be 1-100")
        samplesPerShard = try c.require(try c.decodeIfPresent(Int.self, forKey: .samplesPerShard) ?? 100, { $0 > 0 },
                                        forKey: .samplesPerShard, "must be a positive integer")
        if let s = try c.decodeIfPresent(Int.self, forKey: .imageSize) {
            imageSize = try c.require(s, { (8...8192).contains($0) }, forKey: .imageSize, "must be 8-8192 pixels")
        }
    }
}

extension RuntimeConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case batchSize = "batch_size", queueDepth = "queue_depth", threads, noise, noiseSeed = "noise_seed"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        batchSize = try c.require(try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 4, { $0 > 0 }, forKey: .batchSize, "must be a positive integer")
        queueDepth = try c.require(try c.decodeIfPresent(Int.self, forKey: .queueDepth) ?? 2, { $0 > 0 }, forKey: .queueDepth, "must be a positive integer")
        threads = try c.decodeIfPresent(Int.self, forKey: .threads)
            .map { try c.require($0, { $0 > 0 }, forKey: .threads, "must be a positive integer") }
        noise = try c.decodeChoice(Noise.self, forKey: .noise) ?? .buffers
        noiseSeed = try c.decodeIfPresent(UInt64.self, forKey: .noiseSeed) ?? 0
    }
}

extension RegressionConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case golden, maxPixelDiff = "max_pixel_diff", maxScoreDiff = "max_score_diff" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        golden = try c.decode(String.self, forKey: .golden)
        maxPixelDiff = try c.require(try c.decodeIfPresent(Int.self, forKey: .maxPixelDiff) ?? 0, { (0...255).contains($0) },
                                     forKey: .maxPixelDiff, "must be 0-255")
        maxScoreDiff = try c.require(try c.decodeIfPresent(Double.self, forKey: .maxScoreDiff) ?? 1e-5, { $0 >= 0 },
                                     forKey: .maxScoreDiff, "must be 0 or more")
    }
}
