import CHDF5
import FileIO
import Foundation

/// A thin HDF5 wrapper for float32 datasets whose leading axis indexes samples: open, read
/// its shape, read a slab of rows, and write a chunked (deflate) dataset. The serial HDF5
/// library takes a global lock, so all calls are safe from any thread but serialised.
public final class HDF5File: @unchecked Sendable {
    public let path: String
    let file: hid_t

    public init(reading path: String) throws {
        self.path = path
        do { try InputFile.requireRegularFile(path) } catch let e as FileIOError { throw MediaError.io(file: path, what: e.what) }
        H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)   // errors come back as values, not printed
        let f = H5Fopen(path, cf_h5f_acc_rdonly(), cf_h5p_default())
        guard f >= 0 else { throw MediaError.decode(file: path, what: "not an HDF5 file") }
        file = f
    }

    init(creating path: String) throws {
        self.path = path
        H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
        let f = H5Fcreate(path, cf_h5f_acc_trunc(), cf_h5p_default(), cf_h5p_default())
        guard f >= 0 else { throw MediaError.io(file: path, what: "cannot create HDF5 file") }
        file = f
    }

    deinit { H5Fclose(file) }

    public func hasDataset(_ name: String) -> Bool { H5Lexists(file, name, cf_h5p_default()) > 0 }

    /// The dataset's shape, or an error naming the file and the dataset.
    public func shape(of name: String) throws -> [Int] {
        let (ds, space) = try open(name)
        defer { H5Sclose(space); H5Dclose(ds) }
        return dims(space)
    }

    /// Rows per chunk along the leading axis (nil for contiguous datasets): readers fetch whole
    /// chunks so each is read and inflated once.
    public func chunkRows(of name: String) throws -> Int? {
        let (ds, space) = try open(name)
        defer { H5Sclose(space); H5Dclose(ds) }
        let plist = H5Dget_create_plist(ds)
        defer { H5Pclose(plist) }
        guard H5Pget_layout(plist) == H5D_CHUNKED else { return nil }
        var chunk = [hsize_t](repeating: 0, count: 32)
        let rank = H5Pget_chunk(plist, 32, &chunk)
        return rank > 0 && chunk[0] > 0 ? Int(chunk[0]) : nil
    }

    /// Rows `range` of the leading axis as Float32 (converted by HDF5 from the stored type).
    public func readRows(_ name: String, _ range: Range<Int>) throws -> (shape: [Int], values: [Float]) {
        let (ds, space) = try open(name)
        defer { H5Sclose(space); H5Dclose(ds) }
        let full = dims(space)
        guard !full.isEmpty, range.lowerBound >= 0, range.upperBound <= full[0] else {
            throw MediaError.decode(file: path, what: "dataset '\(name)' has \(full.first ?? 0) rows; rows \(range) requested")
        }
        var shape = full
        shape[0] = range.count
        var values = [Float](repeating: 0, count: shape.reduce(1, *))
        if values.isEmpty { return (shape, values) }
        var start = [hsize_t](repeating: 0, count: full.count), count = shape.map { hsize_t($0) }
        start[0] = hsize_t(range.lowerBound)
        H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nil, &count, nil)
        let mem = H5Screate_simple(Int32(count.count), &count, nil)
        defer { H5Sclose(mem) }
        let rc = values.withUnsafeMutableBytes { H5Dread(ds, cf_h5t_native_float(), mem, space, cf_h5p_default(), $0.baseAddress) }
        guard rc >= 0 else { throw MediaError.decode(file: path, what: "cannot read rows \(range) of dataset '\(name)' as float32") }
        return (shape, values)
    }

    /// Writes a float32 dataset chunked along the leading axis with deflate, to a temporary
    /// name renamed into place when complete.
    public static func write(path: String, datasets: [(name: String, shape: [Int], values: [Float])], chunkRows: Int = 16) throws {
        let tmp = path + ".tmp"
        do {
            let f = try HDF5File(creating: tmp)
            for d in datasets {
                precondition(d.shape.reduce(1, *) == d.values.count)
                var dims = d.shape.map { hsize_t($0) }
                let space = H5Screate_simple(Int32(dims.count), &dims, nil)
                let dcpl = H5Pcreate(cf_h5p_dataset_create())
                H5Pset_obj_track_times(dcpl, false)    // no timestamps: same values, same file bytes
                if let first = d.shape.first, first > 0 {
                    var chunk = dims
                    chunk[0] = hsize_t(min(chunkRows, first))
                    H5Pset_chunk(dcpl, Int32(chunk.count), &chunk)
                    H5Pset_deflate(dcpl, 4)
                }
                let ds = H5Dcreate2(f.file, d.name, cf_h5t_ieee_f32le(), space, cf_h5p_default(), dcpl, cf_h5p_default())
                guard ds >= 0 else { throw MediaError.io(file: path, what: "cannot create dataset '\(d.name)'") }
                let rc = d.values.withUnsafeBytes { H5Dwrite(ds, cf_h5t_native_float(), cf_h5s_all(), cf_h5s_all(), cf_h5p_default(), $0.baseAddress) }
                H5Dclose(ds); H5Pclose(dcpl); H5Sclose(space)
                guard rc >= 0 else { throw MediaError.io(file: path, what: "cannot write dataset '\(d.name)'") }
            }
        }
        guard rename(tmp, path) == 0 else { throw MediaError.io(file: path, what: "cannot rename \(tmp) into place") }
    }

    func open(_ name: String) throws -> (hid_t, hid_t) {
        guard hasDataset(name) else { throw MediaError.decode(file: path, what: "no dataset '\(name)'; the file holds \(contents())") }
        // a chunk cache (64 MiB) that holds at least one chunk, so reads that cut a chunk do not
        // inflate it again for every slab
        let dapl = H5Pcreate(cf_h5p_dataset_access())
        H5Pset_chunk_cache(dapl, 521, 64 << 20, 0.75)
        let ds = H5Dopen2(file, name, dapl)
        H5Pclose(dapl)
        guard ds >= 0 else { throw MediaError.decode(file: path, what: "cannot open dataset '\(name)'") }
        return (ds, H5Dget_space(ds))
    }

    func dims(_ space: hid_t) -> [Int] {
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank > 0 else { return [] }
        var d = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(space, &d, nil)
        return d.map { Int($0) }
    }

    /// Refuses a dataset whose values would not be the file's own numbers: storage in other
    /// files (external raw files, virtual datasets: an HDF5 file could make us read
    /// /etc/passwd as latents), chunks never written (read back as fill values), unallocated
    /// or truncated contiguous storage, and non-floating-point types (converted silently).
    public func checkStoredValues(_ name: String, allowExternal: Bool = false) throws {
        let (ds, space) = try open(name)
        defer { H5Sclose(space); H5Dclose(ds) }
        func bad(_ what: String) -> MediaError { .decode(file: path, what: "dataset '\(name)' \(what)") }
        let type = H5Dget_type(ds)
        defer { H5Tclose(type) }
        if H5Tget_class(type) != H5T_FLOAT {
            throw bad("holds \(typeName(type)) values; latent codes must be floating point (float32 as written by cfclip import-latents)")
        }
        let plist = H5Dget_create_plist(ds)
        defer { H5Pclose(plist) }
        let layout = H5Pget_layout(plist)
        if layout == H5D_VIRTUAL { throw bad("is a virtual dataset whose values live in other files; copy it into a plain dataset") }
        if H5Pget_external_count(plist) > 0 && !allowExternal {
            throw bad("keeps its values in \(H5Pget_external_count(plist)) external raw file(s) outside this file; refused unless the pipeline sets source.allow_external_storage: true")
        }
        let shape = dims(space)
        let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        if count == 0 { return }
        if layout == H5D_CHUNKED {
            var chunk = [hsize_t](repeating: 0, count: 32)
            let rank = Int(H5Pget_chunk(plist, 32, &chunk))
            guard rank == shape.count else { throw bad("has a chunk shape of rank \(rank) for a rank-\(shape.count) dataset") }
            var expected = 1
            for (d, c) in zip(shape, chunk.prefix(rank)) {
                guard c > 0 else { throw bad("has a zero chunk size") }
                let n = (d + Int(c) - 1) / Int(c)
                expected = expected.multipliedReportingOverflow(by: n).overflow ? Int.max : expected * n
            }
            var written: hsize_t = 0
            H5Sselect_all(space)
            guard H5Dget_num_chunks(ds, space, &written) >= 0 else { throw bad("has a damaged chunk index") }
            guard Int(written) == expected else {
                throw bad("has \(written) of its \(expected) chunks written (shape \(shape)): the rest would read as fill values, not latents")
            }
            try checkChunkGrid(ds, shape: shape, chunk: chunk.prefix(rank).map { Int($0) }, count: expected, bad: bad)
        } else if layout == H5D_CONTIGUOUS && H5Pget_external_count(plist) == 0 {
            var status = H5D_SPACE_STATUS_ERROR
            guard H5Dget_space_status(ds, &status) >= 0, status == H5D_SPACE_STATUS_ALLOCATED else {
                throw bad("was never written (no storage allocated): it would read as fill values")
            }
            let offset = UInt64(H5Dget_offset(ds)), bytes = UInt64(H5Dget_storage_size(ds))
            var info = stat()
            if offset != UInt64(haddr_t.max), stat(path, &info) == 0, offset + bytes > UInt64(info.st_size) {
                throw bad("stores \(bytes) bytes at byte \(offset), past the end of the \(info.st_size)-byte file (truncated?)")
            }
        }
    }

    /// Finds every chunk of the grid by its coordinates, stored inside the file: a damaged
    /// index (a key whose offset is not on the grid, which h5py reports as "bad coordinate
    /// offset") would otherwise read that chunk as fill values while the count still adds up.
    func checkChunkGrid(_ ds: hid_t, shape: [Int], chunk: [Int], count: Int, bad: (String) -> MediaError) throws {
        guard count <= 1_000_000 else {
            throw bad("is split into \(count) chunks of shape \(chunk); more than 1,000,000 are not checked (rewrite it with cfclip import-latents)")
        }
        var info = stat()
        let fileSize = stat(path, &info) == 0 ? UInt64(info.st_size) : UInt64.max
        let grid = zip(shape, chunk).map { ($0 + $1 - 1) / $1 }
        var offset = [hsize_t](repeating: 0, count: shape.count)
        for index in 0..<count {
            var rest = index
            for axis in stride(from: shape.count - 1, through: 0, by: -1) {
                offset[axis] = hsize_t((rest % grid[axis]) * chunk[axis])
                rest /= grid[axis]
            }
            var mask: UInt32 = 0, address: haddr_t = 0, size: hsize_t = 0
            let rc = H5Dget_chunk_info_by_coord(ds, offset, &mask, &address, &size)
            guard rc >= 0, address != haddr_t.max else {
                throw bad("has a damaged chunk index: the chunk at \(offset.map { Int($0) }) is not where the index says (h5py: bad coordinate offset)")
            }
            let (end, overflow) = UInt64(address).addingReportingOverflow(UInt64(size))
            guard !overflow, end <= fileSize else {
                throw bad("stores the chunk at \(offset.map { Int($0) }) at byte \(address), past the end of the \(fileSize)-byte file (truncated?)")
            }
        }
    }

    /// "latents (float32 [20, 18, 512]), ids (int64 [20])" for the root group, for errors.
    func contents() -> String {
        var info = H5G_info_t()
        guard H5Gget_info(file, &info) >= 0 else { return "nothing readable" }
        var items: [String] = []
        for i in 0..<min(Int(info.nlinks), 20) {
            var buf = [CChar](repeating: 0, count: 256)
            guard H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(i), &buf, 255, cf_h5p_default()) > 0 else { continue }
            let name = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let ds = H5Dopen2(file, name, cf_h5p_default())
            if ds < 0 { items.append(name); continue }
            let type = H5Dget_type(ds), space = H5Dget_space(ds)
            items.append("\(name) (\(typeName(type)) \(dims(space)))")
            H5Sclose(space); H5Tclose(type); H5Dclose(ds)
        }
        if info.nlinks > 20 { items.append("...") }
        return items.isEmpty ? "no datasets" : items.joined(separator: ", ")
    }

    func typeName(_ t: hid_t) -> String {
        let size = H5Tget_size(t)
        switch H5Tget_class(t) {
        case H5T_FLOAT: return "float\(size * 8)"
        case H5T_INTEGER: return (H5Tget_sign(t) == H5T_SGN_NONE ? "uint" : "int") + "\(size * 8)"
        case H5T_ENUM: return "enum (bool?)"
        case H5T_STRING: return "string"
        case H5T_COMPOUND: return "compound"
        default: return "non-numeric"
        }
    }
}
