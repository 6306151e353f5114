import Foundation
import Testing

/// `Tests/check-imports.sh` is an allow-list read from the manifest: a planted undeclared import must fail it.
struct ArchitectureCheckTests {
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func check(_ root: URL) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = repository.appendingPathComponent("Tests/check-imports.sh")
        process.arguments = [root.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A copy of the manifest with one target's sources: clean, then with an import nobody declared.
    @Test func aPlantedUndeclaredImportFailsTheCheck() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("siptrunk-imports-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: copy.appendingPathComponent("Sources/TrunkCore"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("Package.swift"), to: copy.appendingPathComponent("Package.swift"))
        let file = copy.appendingPathComponent("Sources/TrunkCore/Planted.swift")
        try "import Foundation\nimport TrunkStore\nimport SIPCore\n".write(to: file, atomically: true, encoding: .utf8)
        let clean = try Self.check(copy)
        #expect(clean.status == 0, "\(clean.stderr)")

        try "import Foundation\nimport NIOPosix\n".write(to: file, atomically: true, encoding: .utf8)
        let planted = try Self.check(copy)
        #expect(planted.status == 1)
        #expect(planted.stderr.contains("Sources/TrunkCore/Planted.swift:2: TrunkCore imports NIOPosix, which Package.swift does not declare for it"), "\(planted.stderr)")
    }

    @Test func theRepositoryPassesTheCheck() throws {
        let result = try Self.check(Self.repository)
        #expect(result.status == 0, "\(result.stderr)")
    }
}
