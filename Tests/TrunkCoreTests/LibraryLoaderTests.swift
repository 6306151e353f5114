import CLibraryLoader
import Foundation
import Testing

/// Libraries only some commands use are opened on first use (CLibraryLoader.h): the loader binds every symbol or
/// names what is missing, and nothing links them.
@Suite struct LibraryLoaderTests {
    func open(_ sonames: [String], _ names: [String]) -> (opened: Bool, slots: [UnsafeMutableRawPointer?], error: String) {
        var slots = [UnsafeMutableRawPointer?](repeating: nil, count: names.count)
        var error = [CChar](repeating: 0, count: 256)
        let cNames = names.map { strdup($0) }
        let cSonames = sonames.map { strdup($0) } + [nil]
        defer {
            cNames.forEach { free($0) }
            cSonames.forEach { free($0) }
        }
        let opened = slots.withUnsafeMutableBufferPointer { slotBuffer in
            var symbols: [siptrunk_symbol] = []
            for index in names.indices {
                let slot = UnsafeMutableRawPointer(slotBuffer.baseAddress! + index).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
                symbols.append(siptrunk_symbol(name: cNames[index], slot: slot))
            }
            return cSonames.withUnsafeBufferPointer { sonameBuffer in
                sonameBuffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: cSonames.count) { list in
                    siptrunk_library_open(list, symbols, symbols.count, &error, error.count) == 1
                }
            }
        }
        return (opened, slots, String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    @Test func theFirstLibraryThatHasEverySymbolIsBound() {
        let result = open(["libsiptrunk-no-such-library.so.9", "libc.so.6"], ["strlen", "memchr"])
        #expect(result.opened && result.slots.allSatisfy { $0 != nil }, "\(result.error)")
        #expect(result.error.isEmpty)
    }

    @Test func aMissingLibraryOrSymbolIsNamed() {
        let missing = open(["libsiptrunk-no-such-library.so.9"], ["strlen"])
        #expect(!missing.opened && missing.error.contains("libsiptrunk-no-such-library.so.9"), "\(missing.error)")
        let lacking = open(["libc.so.6"], ["strlen", "siptrunk_no_such_function"])
        #expect(!lacking.opened && lacking.error.contains("libc.so.6 does not define siptrunk_no_such_function"), "\(lacking.error)")
        #expect(lacking.slots.allSatisfy { $0 == nil }, "a failed bind leaves no half-bound table")
    }

    /// The test runner links every library target as the executable does: none of the four may be a dependency.
    @Test func theOptionalLibrariesAreNotLinked() throws {
        let readelf = Process()
        readelf.executableURL = URL(fileURLWithPath: "/usr/bin/readelf")
        readelf.arguments = ["-d", "/proc/self/exe".resolvingSymlinks]
        let pipe = Pipe()
        readelf.standardOutput = pipe
        try readelf.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        readelf.waitUntilExit()
        let needed = text.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(needed.contains { $0.contains("libsqlite3") }, "\(text)")
        for library in ["libcurl", "libcairo", "libpcap", "libphonenumber"] {
            #expect(!needed.contains { $0.contains(library) }, "\(library) is linked: \(needed)")
        }
    }
}

extension String {
    fileprivate var resolvingSymlinks: String { (try? FileManager.default.destinationOfSymbolicLink(atPath: self)) ?? self }
}
