import Foundation

/// The kernel's random numbers (/dev/urandom), fetched 4 KiB at a time: `SystemRandomNumberGenerator` makes one
/// system call per number, and a probe needs three (branch, tag, Call-ID). Still cryptographic quality, as
/// RFC 3261 §8.1.1.4 recommends for Call-IDs. Not thread-safe: one per event loop.
public struct BufferedRandom: RandomNumberGenerator {
    private var buffer = [UInt64](repeating: 0, count: 512)
    private var index = 512

    /// Opened once for the process.
    private static let device: Int32 = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

    public init() {}

    public mutating func next() -> UInt64 {
        if index == buffer.count { refill() }
        defer { index += 1 }
        return buffer[index]
    }

    private mutating func refill() {
        buffer.withUnsafeMutableBytes { bytes in
            var filled = 0
            while filled < bytes.count {
                guard let base = bytes.baseAddress else { return }
                let count = Self.device >= 0 ? read(Self.device, base + filled, bytes.count - filled) : -1
                if count > 0 {
                    filled += count
                } else if count == 0 || errno != EINTR {
                    // No /dev/urandom (a sandbox without /dev): the standard library's generator.
                    var system = SystemRandomNumberGenerator()
                    for offset in stride(from: filled, to: bytes.count, by: 8) {
                        bytes.storeBytes(of: system.next(), toByteOffset: offset, as: UInt64.self)
                    }
                    filled = bytes.count
                }
            }
        }
        index = 0
    }
}
