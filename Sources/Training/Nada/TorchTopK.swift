/// `torch.topk(values, k, largest=True, sorted=True)[1]` as PyTorch's CPU kernel computes it,
/// ties included: `std::nth_element` to place the k-th largest, then `std::sort` of the first
/// k - 1 (TopKImpl.h), both as libstdc++ implements them (introselect, median-of-three pivot,
/// unguarded partition, insertion sort below 16). For distinct values this is plain top-k;
/// equal values come out in the order the reference returns them (`[5, 9, 8, 7, 6, 3, 1, 2,
/// 0, 4]` for ten zeros), which StyleGAN-NADA's layer selection depends on when every layer
/// weight is 0 (see `NadaSettings.SelectionBaseline.shared`).
public enum TorchTopK {
    public static func indices(_ values: [Double], k: Int) -> [Int] {
        let n = values.count
        let k = max(0, min(k, n))
        guard k > 0 else { return [] }
        var q = Array(0..<n)
        // NaN sorts as the largest, as in the kernel's comparator
        let less: (Int, Int) -> Bool = { a, b in
            let (x, y) = (values[a], values[b])
            return (x.isNaN && !y.isNaN) || x > y
        }
        if k * 64 <= n {
            partialSort(&q, 0, k, n, less)
        } else {
            nthElement(&q, 0, k - 1, n, less)
            sort(&q, 0, k - 1, less)
        }
        return Array(q.prefix(k))
    }

    static func lg(_ n: Int) -> Int { n <= 1 ? 0 : (Int.bitWidth - 1 - n.leadingZeroBitCount) }

    static func nthElement(_ q: inout [Int], _ first: Int, _ nth: Int, _ last: Int, _ less: (Int, Int) -> Bool) {
        guard first != last, nth != last else { return }
        var (first, last) = (first, last)
        var depth = 2 * lg(last - first)
        while last - first > 3 {
            if depth == 0 {
                heapSelect(&q, first, nth + 1, last, less)
                q.swapAt(first, nth)
                return
            }
            depth -= 1
            let cut = partitionPivot(&q, first, last, less)
            if cut <= nth { first = cut } else { last = cut }
        }
        insertionSort(&q, first, last, less)
    }

    static func sort(_ q: inout [Int], _ first: Int, _ last: Int, _ less: (Int, Int) -> Bool) {
        guard first != last else { return }
        introsortLoop(&q, first, last, 2 * lg(last - first), less)
        if last - first > 16 {
            insertionSort(&q, first, first + 16, less)
            for i in (first + 16)..<last { unguardedLinearInsert(&q, i, less) }
        } else {
            insertionSort(&q, first, last, less)
        }
    }

    static func introsortLoop(_ q: inout [Int], _ first: Int, _ last: Int, _ depth: Int, _ less: (Int, Int) -> Bool) {
        var (last, depth) = (last, depth)
        while last - first > 16 {
            if depth == 0 { partialSort(&q, first, last, last, less); return }
            depth -= 1
            let cut = partitionPivot(&q, first, last, less)
            introsortLoop(&q, cut, last, depth, less)
            last = cut
        }
    }

    static func partitionPivot(_ q: inout [Int], _ first: Int, _ last: Int, _ less: (Int, Int) -> Bool) -> Int {
        let mid = first + (last - first) / 2
        moveMedianToFirst(&q, first, first + 1, mid, last - 1, less)
        return unguardedPartition(&q, first + 1, last, first, less)
    }

    static func moveMedianToFirst(_ q: inout [Int], _ result: Int, _ a: Int, _ b: Int, _ c: Int, _ less: (Int, Int) -> Bool) {
        let (qa, qb, qc) = (q[a], q[b], q[c])
        if less(qa, qb) {
            if less(qb, qc) { q.swapAt(result, b) } else if less(qa, qc) { q.swapAt(result, c) } else { q.swapAt(result, a) }
        } else if less(qa, qc) { q.swapAt(result, a) } else if less(qb, qc) { q.swapAt(result, c) } else { q.swapAt(result, b) }
    }

    static func unguardedPartition(_ q: inout [Int], _ first: Int, _ last: Int, _ pivot: Int, _ less: (Int, Int) -> Bool) -> Int {
        var (first, last) = (first, last)
        while true {
            while less(q[first], q[pivot]) { first += 1 }
            last -= 1
            while less(q[pivot], q[last]) { last -= 1 }
            if !(first < last) { return first }
            q.swapAt(first, last)
            first += 1
        }
    }

    static func insertionSort(_ q: inout [Int], _ first: Int, _ last: Int, _ less: (Int, Int) -> Bool) {
        guard first != last else { return }
        var i = first + 1
        while i < last {
            if less(q[i], q[first]) {
                let v = q[i]
                for j in stride(from: i, to: first, by: -1) { q[j] = q[j - 1] }
                q[first] = v
            } else {
                unguardedLinearInsert(&q, i, less)
            }
            i += 1
        }
    }

    static func unguardedLinearInsert(_ q: inout [Int], _ last: Int, _ less: (Int, Int) -> Bool) {
        let v = q[last]
        var (l, next) = (last, last - 1)
        while less(v, q[next]) { q[l] = q[next]; l = next; next -= 1 }
        q[l] = v
    }

    /// `std::partial_sort` (heap select, then sort_heap of the first `middle`).
    static func partialSort(_ q: inout [Int], _ first: Int, _ middle: Int, _ last: Int, _ less: (Int, Int) -> Bool) {
        heapSelect(&q, first, middle, last, less)
        var end = middle
        while end - first > 1 { end -= 1; popHeap(&q, first, end, end, less) }
    }

    static func heapSelect(_ q: inout [Int], _ first: Int, _ middle: Int, _ last: Int, _ less: (Int, Int) -> Bool) {
        makeHeap(&q, first, middle, less)
        for i in middle..<last where less(q[i], q[first]) { popHeap(&q, first, middle, i, less) }
    }

    static func makeHeap(_ q: inout [Int], _ first: Int, _ last: Int, _ less: (Int, Int) -> Bool) {
        let len = last - first
        guard len >= 2 else { return }
        var parent = (len - 2) / 2
        while true {
            adjustHeap(&q, first, parent, len, q[first + parent], less)
            if parent == 0 { return }
            parent -= 1
        }
    }

    static func popHeap(_ q: inout [Int], _ first: Int, _ last: Int, _ result: Int, _ less: (Int, Int) -> Bool) {
        let v = q[result]
        q[result] = q[first]
        adjustHeap(&q, first, 0, last - first, v, less)
    }

    static func adjustHeap(_ q: inout [Int], _ first: Int, _ hole: Int, _ len: Int, _ value: Int, _ less: (Int, Int) -> Bool) {
        let top = hole
        var (hole, child) = (hole, hole)
        while child < (len - 1) / 2 {
            child = 2 * (child + 1)
            if less(q[first + child], q[first + child - 1]) { child -= 1 }
            q[first + hole] = q[first + child]
            hole = child
        }
        if len & 1 == 0 && child == (len - 2) / 2 {
            child = 2 * (child + 1)
            q[first + hole] = q[first + child - 1]
            hole = child - 1
        }
        var parent = (hole - 1) / 2
        while hole > top && less(q[first + parent], value) {
            q[first + hole] = q[first + parent]
            hole = parent
            parent = (hole - 1) / 2
        }
        q[first + hole] = value
    }
}
