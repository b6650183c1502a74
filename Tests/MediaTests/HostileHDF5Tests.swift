import CHDF5
import Foundation
import Media
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// HDF5 latent files that used to feed garbage to the renders without a word (issue #13).
final class HostileHDF5Tests: XCTestCase {
    var dir: String!
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "hdf5-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// Creates `latents` [rows, 18, 8] with `configure` applied to its creation properties and
    /// `write` deciding what is written (nil: rows 0..<4 only).
    func make(_ name: String, type: hid_t = cf_h5t_ieee_f32le(), chunkRows: Int? = 4,
              configure: (hid_t) -> Void = { _ in }, writeAll: Bool = false) -> String {
        let path = dir + "/" + name
        let f = H5Fcreate(path, cf_h5f_acc_trunc(), cf_h5p_default(), cf_h5p_default())
        var dims: [hsize_t] = [20, 18, 8]
        let space = H5Screate_simple(3, &dims, nil)
        let dcpl = H5Pcreate(cf_h5p_dataset_create())
        if let chunkRows { var c: [hsize_t] = [hsize_t(chunkRows), 18, 8]; H5Pset_chunk(dcpl, 3, &c) }
        configure(dcpl)
        let ds = H5Dcreate2(f, "latents", type, space, cf_h5p_default(), dcpl, cf_h5p_default())
        let values = [Float](repeating: 0.5, count: 20 * 18 * 8)
        if writeAll {
            _ = values.withUnsafeBytes { H5Dwrite(ds, cf_h5t_native_float(), cf_h5s_all(), cf_h5s_all(), cf_h5p_default(), $0.baseAddress) }
        } else {
            var start: [hsize_t] = [0, 0, 0], count: [hsize_t] = [4, 18, 8]
            H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nil, &count, nil)
            let mem = H5Screate_simple(3, &count, nil)
            _ = values.withUnsafeBytes { H5Dwrite(ds, cf_h5t_native_float(), mem, space, cf_h5p_default(), $0.baseAddress) }
            H5Sclose(mem)
        }
        H5Dclose(ds); H5Pclose(dcpl); H5Sclose(space); H5Fclose(f)
        return path
    }

    func failure(_ path: String, allowExternal: Bool = false) -> String {
        do { _ = try LatentFile(path: path, allowExternalStorage: allowExternal); return "no error" } catch { return "\(error)" }
    }

    func testUnwrittenChunksAreRefused() {
        let e = failure(make("partial.h5"))
        XCTAssertTrue(e.contains("1 of its 5 chunks written"), e)
        XCTAssertNoThrow(try LatentFile(path: make("full.h5", writeAll: true)))
    }

    func testNeverWrittenContiguousDatasetIsRefused() {
        let path = dir + "/empty.h5"
        let f = H5Fcreate(path, cf_h5f_acc_trunc(), cf_h5p_default(), cf_h5p_default())
        var dims: [hsize_t] = [20, 18, 8]
        let space = H5Screate_simple(3, &dims, nil)
        H5Dclose(H5Dcreate2(f, "latents", cf_h5t_ieee_f32le(), space, cf_h5p_default(), cf_h5p_default(), cf_h5p_default()))
        H5Sclose(space); H5Fclose(f)
        XCTAssertTrue(failure(path).contains("never written"), failure(path))
    }

    func testExternalStorageIsRefusedUnlessAllowed() {
        let raw = dir + "/raw.bin"
        FileManager.default.createFile(atPath: raw, contents: Data(count: 20 * 18 * 8 * 4))
        let path = make("external.h5", chunkRows: nil, configure: { H5Pset_external($0, raw, 0, hsize_t(20 * 18 * 8 * 4)) }, writeAll: true)
        XCTAssertTrue(failure(path).contains("external raw file"), failure(path))
        XCTAssertEqual(failure(path, allowExternal: true), "no error")
    }

    /// A chunk-index key moved off the grid (rows 4 -> 1): the chunk count still matched and
    /// HDF5 read that chunk's rows as fill values (h5py: "bad coordinate offset").
    func testCorruptedChunkIndexIsRefused() throws {
        let path = make("index.h5", writeAll: true)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // the v1 B-tree node of the chunk index: "TREE", node type 1 (raw data chunks)
        let tree = try XCTUnwrap((0..<bytes.count - 5).first { Array(bytes[$0..<$0 + 4]) == Array("TREE".utf8) && bytes[$0 + 4] == 1 })
        // 24-byte node header, key 0 (size 4, filter mask 4, offsets 4 x 8), child 0 (8), key 1's size and mask
        let key1Row = tree + 24 + 40 + 8 + 8
        XCTAssertEqual(bytes[key1Row], 4, "layout of the test file changed")
        bytes[key1Row] = 1
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let e = failure(path)
        XCTAssertTrue(e.contains("damaged chunk index: the chunk at [4, 0, 0] is not where the index says"), e)
    }

    func testIntegerLatentsAreRefusedNamingTheType() {
        let e = failure(make("ints.h5", type: cf_h5t_std_i64le(), writeAll: true))
        XCTAssertTrue(e.contains("int64") && e.contains("floating point"), e)
    }

    func testMissingDatasetListsWhatTheFileHolds() {
        let path = make("other.h5", writeAll: true)
        do { _ = try LatentFile(path: path, dataset: "codes"); XCTFail("no error") } catch {
            XCTAssertTrue("\(error)".contains("latents (float32 [20, 18, 8])"), "\(error)")
        }
    }

    func testSpecialFilesAreRefusedWithoutHanging() {
        let fifo = dir + "/fifo.h5"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        XCTAssertTrue(failure(fifo).contains("FIFO"), failure(fifo))
        XCTAssertTrue(failure("/dev/zero").contains("character device"), failure("/dev/zero"))
    }
}
