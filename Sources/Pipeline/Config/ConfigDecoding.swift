import StrictYAML

/// Decodable conformances of the pipeline file, strict about keys, with the defaults
/// documented in PipelineConfig.swift.
extension PipelineConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case models, source, edits, scores, output, runtime, regression }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        models = try c.decode(ModelsConfig.self, forKey: .models)
        source = try c.decode(SourceConfig.self, forKey: .source)
        edits = try c.decode([EditConfig].self, forKey: .edits)
        if edits.isEmpty { throw ConfigIssue(path: c.codingPath + [CodingKeys.edits], what: "needs at least one edit") }
        scores = try c.decodeIfPresent(ScoresConfig.self, forKey: .scores) ?? ScoresConfig()
        if !scores.metricsGiven {
            let (hasCLIP, hasArcFace, hasSource) = (models.clip != nil, models.arcface != nil, !(scores.sourceText ?? "").isEmpty)
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
    enum CodingKeys: String, CodingKey, CaseIterable { case generator, clip, arcface }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        generator = try c.decodeIfPresent(String.self, forKey: .generator)
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

extension SourceConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case hdf5, sampled }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        switch (c.contains(.hdf5), c.contains(.sampled)) {
        case (true, false): self = .hdf5(try c.decode(HDF5SourceConfig.self, forKey: .hdf5))
        case (false, true): self = .sampled(try c.decode(SampledSourceConfig.self, forKey: .sampled))
        default: throw ConfigIssue(path: decoder.codingPath, what: "give exactly one of 'hdf5' (latent file) or 'sampled' (seeded codes)")
        }
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

extension EditConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case name, text, mapper, alpha }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        name = try c.require(try c.decode(String.self, forKey: .name), EditConfig.isValidName, forKey: .name,
                             "must be letters, digits, '_' or '-', at most \(EditConfig.maxNameLength) of them (it names files KEY.NAME.png in tar members of 100 bytes), and not 'src'")
        text = try c.decode(String.self, forKey: .text)
        mapper = try c.decode(String.self, forKey: .mapper)
        alpha = try c.require(try c.decodeIfPresent(Float.self, forKey: .alpha) ?? 1, { $0.isFinite }, forKey: .alpha, "must be a finite number")
    }

    /// Longest edit name: `KEY.NAME.png` must fit a tar member name (100 bytes) with room for
    /// keys past nine digits.
    static let maxNameLength = 64

    static func isValidName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= maxNameLength && s != "src" && s != "json" && s.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
    }
}

extension ScoresConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case metrics, sourceText = "source_text" }

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
    }
}

extension OutputConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case dir, format, imageFormat = "image_format", jpegQuality = "jpeg_quality", samplesPerShard = "samples_per_shard"
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
