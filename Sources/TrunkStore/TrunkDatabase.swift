import Foundation
import GRDB

/// Why the store could not do what was asked, in words a person can act on.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case cannotOpen, busy, constraint, corrupt, io, other
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    static func wrap(_ error: any Error, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let database = error as? DatabaseError else { return StoreError(.other, "\(error)") }
        switch database.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError(.busy, "the database \(path) is busy: another siptrunk process holds it; try again")
        case .SQLITE_CONSTRAINT:
            return StoreError(.constraint, database.message ?? "a database constraint was violated")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StoreError(.corrupt, "\(path) is not a siptrunk database or is damaged: \(database.message ?? "")")
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY:
            return StoreError(.cannotOpen, "cannot open \(path): \(database.message ?? "permission denied")")
        case .SQLITE_IOERR, .SQLITE_FULL:
            return StoreError(.io, "cannot write \(path): \(database.message ?? "I/O error")")
        default:
            return StoreError(.other, database.message ?? "\(database)")
        }
    }
}

/// The siptrunk database: one SQLite file in WAL mode shared by the TUI, the monitor and the API server.
///
/// No GRDB type leaves this module: callers read and write through `StoreReader` and `StoreWriter`, which
/// speak in trunks, numbers and configurations.
public final class TrunkDatabase: Sendable {
    public let path: String
    let pool: DatabasePool

    /// `$XDG_DATA_HOME/siptrunk/siptrunk.sqlite`, falling back to `~/.local/share/siptrunk/siptrunk.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            base = xdg
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            base = home + "/.local/share"
        }
        return base + "/siptrunk/siptrunk.sqlite"
    }

    /// Opens (creating when needed) the database at `path` and brings its schema up to date.
    ///
    /// A new file is created with mode 0600: it holds credentials. Its directory is created with mode 0700.
    public init(path: String) throws(StoreError) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw StoreError(.cannotOpen, "cannot create the directory \(directory): \(error.localizedDescription)")
        }
        // Create the file ourselves so it is never readable by others, whatever the umask.
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError(.cannotOpen, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)

        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Another process writing (monitor, API server) makes us wait, not fail.
        configuration.busyMode = .timeout(10)
        configuration.label = "siptrunk"
        configuration.prepareDatabase { db in
            // NORMAL is durable in WAL mode except for the last transactions before a power loss; a
            // transaction whose commit returned survives a crash of the process.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Schema.migrator.migrate(pool)
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// Runs `body` in a read transaction (a consistent view; never blocks writers).
    ///
    /// Database failures are thrown as `StoreError`; an error `body` throws itself comes out unchanged.
    public func read<T>(_ body: (StoreReader) throws -> T) throws -> T {
        do {
            return try pool.read { db in try body(StoreReader(db: db)) }
        } catch let error as DatabaseError {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// Runs `body` in a write transaction: all of it is committed, or none of it (also when `body` throws).
    ///
    /// Database failures are thrown as `StoreError`; an error `body` throws itself comes out unchanged.
    public func write<T>(_ body: (StoreWriter) throws -> T) throws -> T {
        do {
            return try pool.write { db in try body(StoreWriter(db: db)) }
        } catch let error as DatabaseError {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// SQLite's `data_version`: changes when another connection commits, so a UI can notice other
    /// processes' writes (GRDB's observation only sees this process's).
    public func dataVersion() throws(StoreError) -> Int {
        do {
            return try pool.read { db in try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// The names of the migrations applied, oldest first.
    public func appliedMigrations() throws(StoreError) -> [String] {
        do {
            return try pool.read { db in try Schema.migrator.appliedMigrations(db) }
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// A consistent copy of the whole database in a new file (`VACUUM INTO`), safe while others read and write.
    public func backup(to destination: String) throws(StoreError) {
        do {
            try pool.vacuum(into: destination)
        } catch {
            throw StoreError.wrap(error, path: destination)
        }
    }

    public func journalMode() throws(StoreError) -> String {
        do {
            return try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }
}
