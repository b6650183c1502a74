import Tensors

/// Largest tensor a checkpoint may declare (elements). Only stride-0 (expanded) views can declare
/// more elements than the file holds bytes; this bound keeps a lying header from asking for an
/// allocation that would abort the process.
let maxTensorElements = 1 << 32

/// Largest expanded (stride-0) view accepted: 64 Mi elements (256 MiB as float32).
let maxExpandedElements = 1 << 26

/// Where a tensor's elements sit inside a storage, as `_rebuild_tensor_v2` gives them: storage
/// offset, sizes and strides, all in elements.
struct TensorLayout {
    var offset: Int
    var shape: [Int]
    var strides: [Int]
}

extension StoredTensor {
    /// Builds a contiguous tensor from a (possibly strided, offset, shared) view into a storage.
    /// `storage` holds the storage's bytes from its element 0; `numel` is the element count the
    /// file declares for it. Every index is bounds-checked against both before anything is read.
    static func materialize(storage: UnsafeRawBufferPointer, numel: Int, dtype: StoredDType,
                            layout: TensorLayout, storageName: String, file: String) throws -> StoredTensor {
        let es = dtype.byteSize
        let shape = layout.shape, strides = layout.strides
        func bad(_ what: String) -> CheckpointError { .malformed(file: file, what: what) }
        guard shape.count == strides.count else {
            throw bad("tensor in \(storageName) has \(shape.count) sizes but \(strides.count) strides")
        }
        guard layout.offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw bad("tensor in \(storageName) has a negative size, stride or offset (sizes \(shapeText(shape)), strides \(shapeText(strides)), offset \(layout.offset))")
        }
        var count = 1
        for d in shape {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o, p <= maxTensorElements else { throw bad("tensor in \(storageName) of shape \(shapeText(shape)) is too large") }
            count = p
        }
        if count == 0 { return decode(UnsafeRawBufferPointer(start: nil, count: 0), dtype: dtype, shape: shape) }

        // Last element the view touches; every other element lies between offset and it.
        var last = layout.offset
        for (d, s) in zip(shape, strides) {
            let (span, o1) = (d - 1).multipliedReportingOverflow(by: s)
            let (sum, o2) = last.addingReportingOverflow(span)
            guard !o1, !o2 else { throw bad("tensor in \(storageName) has strides that overflow") }
            last = sum
        }
        guard last < numel else {
            throw bad("tensor of shape \(shapeText(shape)) (strides \(shapeText(strides)), offset \(layout.offset)) reads element \(last) of \(storageName), which holds only \(numel) elements")
        }
        // Only an expanded (stride-0) view has more elements than the storage span it reads;
        // cap those so a lying record cannot demand an allocation that aborts the process.
        guard count <= last + 1 - layout.offset || count <= maxExpandedElements else {
            throw bad("tensor in \(storageName) of shape \(shapeText(shape)) expands \(last + 1 - layout.offset) stored elements to \(count), more than this reader accepts")
        }
        let (needed, o) = (last + 1).multipliedReportingOverflow(by: es)
        guard !o, needed <= storage.count else {
            throw bad("\(storageName) holds \(storage.count) bytes, too short for its \(dtype.rawValue) tensor of shape \(shapeText(shape)) (needs \(needed) bytes)")
        }

        if isContiguous(shape: shape, strides: strides) {
            return decode(storage.slice(layout.offset * es, count * es), dtype: dtype, shape: shape)
        }
        // A view (transpose, slice, permutation): gather the bytes into row-major order first,
        // then decode that buffer in one pass.
        let gathered = UnsafeMutableRawBufferPointer.allocate(byteCount: count * es, alignment: 64)
        defer { gathered.deallocate() }
        gather(from: storage, elementSize: es, layout: layout, count: count, into: gathered)
        return decode(UnsafeRawBufferPointer(gathered), dtype: dtype, shape: shape)
    }
}

/// True when `strides` are the row-major strides of `shape` (axes of size 1 may have any stride).
func isContiguous(shape: [Int], strides: [Int]) -> Bool {
    var expected = 1
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
        if shape[d] != 1 && strides[d] != expected { return false }
        expected *= shape[d]
    }
    return true
}

/// Copies a strided view into contiguous row-major order, one innermost row at a time.
private func gather(from src: UnsafeRawBufferPointer, elementSize es: Int, layout: TensorLayout,
                    count: Int, into dst: UnsafeMutableRawBufferPointer) {
    guard let srcBase = src.baseAddress, let dstBase = dst.baseAddress else { return }
    let shape = layout.shape, strides = layout.strides
    let rank = shape.count
    if rank == 0 {
        dstBase.copyMemory(from: srcBase + layout.offset * es, byteCount: es)
        return
    }
    let inner = shape[rank - 1], innerStride = strides[rank - 1]
    var index = [Int](repeating: 0, count: rank) // odometer over the outer axes
    var out = dstBase
    for _ in 0 ..< count / inner {
        var s = layout.offset
        for d in 0 ..< rank - 1 { s += index[d] * strides[d] }
        if innerStride == 1 {
            out.copyMemory(from: srcBase + s * es, byteCount: inner * es)
            out += inner * es
        } else {
            for j in 0 ..< inner {
                out.copyMemory(from: srcBase + (s + j * innerStride) * es, byteCount: es)
                out += es
            }
        }
        var d = rank - 2
        while d >= 0 {
            index[d] += 1
            if index[d] < shape[d] { break }
            index[d] = 0
            d -= 1
        }
    }
}

/// "[2, 3, 64, 64]", the way errors print a shape.
func shapeText(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
