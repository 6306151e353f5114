import Foundation
internal import GRDB
import SystemPackage

/// Why the store could not do what was asked, in words a person can act on.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case cannotOpen, busy, constraint, corrupt, io, newerSchema, other
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
    /// How a command opens the file (issue 19: a mistyped `--db` must not create an empty database, and a
    /// read-only file must still be readable).
    public enum Access: Sendable {
        /// Creates the file (0600, in a 0700 directory) when it does not exist: the wizard, demo, attach, profile set.
        case create
        /// Reads and writes an existing file; a missing one is refused (changes to what must already exist).
        case existing
        /// Reads an existing file without writing it (also when the file or its directory is read-only).
        case readOnly
    }

    public let path: String
    /// The installation key file beside the database (`siptrunk.sqlite.key`, 0600): the secret that derived
    /// registration passwords come from and that stored passwords are sealed with. A copied database alone reveals
    /// neither; back the two files up together.
    public let keyPath: String
    public let isReadOnly: Bool
    /// What was noticed and put right while opening (a file readable by others made 0600), for the caller to say.
    public let notices: [String]
    /// A pool (WAL: readers never block the writer) when writable; a read-only queue otherwise, since a pool
    /// sets the journal mode, which a read-only file refuses.
    let pool: any DatabaseWriter

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

    /// `file:` URI of `path` with `immutable=1`.
    static func immutableURI(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?immutable=1"
    }

    /// Opens the database at `path` and brings its schema up to date (not in `.readOnly`).
    ///
    /// A new file is created with mode 0600: it holds credentials. Its directory is created with mode 0700. A file
    /// written by a newer siptrunk (a migration this build does not know) is refused with both versions named.
    public init(path: String, access: Access = .create) throws(StoreError) {
        let filePath = FilePath(path)
        guard !path.isEmpty, !path.hasSuffix("/"), let name = filePath.lastComponent, name.string != ".", name.string != ".." else {
            throw StoreError(.cannotOpen, "cannot use '\(path)' as a database: give a file name, e.g. --db ./siptrunk.sqlite")
        }
        self.path = path
        self.keyPath = path + ".key"
        var notices: [String] = []
        var status = stat()
        let exists = stat(path, &status) == 0
        if exists, status.st_mode & S_IFMT == S_IFDIR {
            throw StoreError(.cannotOpen, "'\(path)' is a directory: give the database file inside it, e.g. --db \(filePath.appending("siptrunk.sqlite"))")
        }
        if !exists {
            guard access == .create else {
                throw StoreError(.cannotOpen, "no database at \(path): check --db, or create one with siptrunk (the set-up wizard), siptrunk trunks attach or siptrunk demo")
            }
            let directory = filePath.removingLastComponent()
            if !directory.isEmpty {
                var directoryStatus = stat()
                if stat(directory.string, &directoryStatus) != 0 {
                    do {
                        try FileManager.default.createDirectory(
                            atPath: directory.string, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                    } catch {
                        throw StoreError(.cannotOpen, "cannot create the directory \(directory): \(PrivateFile.reason(errno))")
                    }
                }
            }
            // Create the file ourselves so it is never readable by others, whatever the umask.
            let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw StoreError(.cannotOpen, "cannot create \(path): \(PrivateFile.reason(errno))")
            }
            close(descriptor)
        } else if status.st_mode & 0o077 != 0 {
            // The file holds credentials: a copy readable by the group or others is tightened, and the user told.
            let mode = String(status.st_mode & 0o777, radix: 8)
            if chmod(path, 0o600) == 0 {
                notices.append("\(path) was readable by other users (mode 0\(mode)); it is now 0600, as it holds credentials")
            } else {
                notices.append("\(path) is readable by other users (mode 0\(mode)) and could not be made 0600: \(PrivateFile.reason(errno)); run chmod 600 on it")
            }
        }
        let writable = access != .readOnly && Glibc.access(path, W_OK) == 0
        if access != .readOnly, !writable {
            throw StoreError(.cannotOpen, "cannot write \(path): \(PrivateFile.reason(errno)); this command changes the database")
        }

        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Another process writing (monitor, API server) makes us wait, not fail.
        configuration.busyMode = .timeout(10)
        configuration.label = "siptrunk"
        configuration.readonly = !writable
        if writable {
            configuration.prepareDatabase { db in
                // NORMAL is durable in WAL mode except for the last transactions before a power loss; a
                // transaction whose commit returned survives a crash of the process.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }
        do {
            if writable {
                pool = try DatabasePool(path: path, configuration: configuration)
            } else if Glibc.access(filePath.removingLastComponent().isEmpty ? "." : filePath.removingLastComponent().string, W_OK) == 0 {
                pool = try DatabaseQueue(path: path, configuration: configuration)
            } else {
                // SQLite reads a WAL database through its -shm file, which cannot be made in a read-only directory:
                // open it as immutable (RFC 8089 URI, SQLITE_USE_URI) — this process only reads it, once.
                pool = try DatabaseQueue(path: Self.immutableURI(path), configuration: configuration)
            }
            let applied = try pool.read { db in try Schema.migrator.appliedIdentifiers(db) }
            let known = Set(Schema.migrator.migrations)
            let unknown = applied.filter { !known.contains($0) }
            if !unknown.isEmpty {
                throw StoreError(
                    .newerSchema,
                    "\(path) was written by a newer siptrunk: its schema is version \(applied.count), this siptrunk knows version \(known.count) (it does not know \(unknown.sorted().joined(separator: ", "))); upgrade siptrunk, or use another --db")
            }
            if writable {
                try Schema.migrator.migrate(pool)
            } else if applied.count < known.count {
                throw StoreError(
                    .cannotOpen,
                    "\(path) has schema version \(applied.count) and this siptrunk needs \(known.count), but the file cannot be written to upgrade it: make it writable and run any command once")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.wrap(error, path: path)
        }
        isReadOnly = !writable
        self.notices = notices
        if writable { try relocateInstallationSecret() }
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

// MARK: The installation key file

extension TrunkDatabase {
    /// The installation secret (32 bytes) from the key file beside the database, made on first use when `create` is
    /// set; nil when there is none and `create` is not set.
    public func installationSecret(create: Bool) throws(StoreError) -> [UInt8]? {
        if let existing = try readKeyFile() { return existing }
        guard create else { return nil }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        do {
            try PrivateFile.write(Array((Self.hex(secret) + "\n").utf8), to: keyPath, replacing: false)
        } catch {
            // Another process made it first (O_EXCL): use theirs.
            if let existing = try readKeyFile() { return existing }
            throw StoreError(.cannotOpen, "cannot create the installation key \(keyPath): \(error)")
        }
        return secret
    }

    private func readKeyFile() throws(StoreError) -> [UInt8]? {
        var status = stat()
        guard stat(keyPath, &status) == 0 else { return nil }
        let text: [UInt8]
        do {
            text = try PrivateFile.read(keyPath, limit: 256)
        } catch {
            throw StoreError(.cannotOpen, "cannot read the installation key: \(error)")
        }
        guard let secret = Self.bytes(hex: String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)), secret.count == 32 else {
            throw StoreError(.corrupt, "the installation key \(keyPath) is damaged (it must be 64 hexadecimal digits): restore it from the backup made with the database")
        }
        return secret
    }

    /// Databases made before the key file kept the secret in a table: it moves to the key file (written and synced
    /// first), then leaves the database, so a copy of the database alone no longer holds it.
    func relocateInstallationSecret() throws(StoreError) {
        do {
            guard let stored = try pool.read({ db in try StoreReader(db: db).installationSecret() }) else { return }
            if let existing = try readKeyFile() {
                guard existing == stored else {
                    throw StoreError(.corrupt, "\(path) and its key file \(keyPath) hold different installation secrets: restore the pair from one backup")
                }
            } else {
                try PrivateFile.write(Array((Self.hex(stored) + "\n").utf8), to: keyPath, replacing: false)
            }
            try pool.write { db in try db.execute(sql: "DELETE FROM installation_secret") }
        } catch let error as StoreError {
            throw error
        } catch let error as PrivateFile.Failure {
            throw StoreError(.cannotOpen, "cannot move the installation secret to \(keyPath): \(error)")
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
