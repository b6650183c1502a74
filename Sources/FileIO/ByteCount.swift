import Foundation

/// Byte counts as people write them in environment variables: "123", "64K", "512M", "8G"
/// (powers of 1024). Used by every limit a user may raise (loader budgets, the HDF5 reader).
public enum ByteCount {
    /// The count, or nil unless `text` is a positive number with an optional K/M/G suffix
    /// (saturating at Int.max).
    public static func parse(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = Substring(t), unit = 1
        if let last = digits.last, let u = units[last] { unit = u; digits = digits.dropLast() }
        guard let n = Int(digits), n > 0 else { return nil }
        let (v, o) = n.multipliedReportingOverflow(by: unit)
        return o ? Int.max : v
    }
}
