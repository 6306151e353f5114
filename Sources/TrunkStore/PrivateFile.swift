import Foundation
import SystemPackage

/// Files only their owner may read: exports, the installation key. Written with `open(2)` so the mode is 0600 from
/// the first byte whatever the umask, and errors are sentences that name the path and what to do, never Foundation's
/// error domains.
public enum PrivateFile {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Writes `bytes` to `path` with mode 0600. An existing file is refused unless `replacing` is set (then it is
    /// replaced atomically, through a temporary file in the same directory, and ends up 0600 too).
    public static func write(_ bytes: [UInt8], to path: String, replacing: Bool) throws(Failure) {
        let filePath = FilePath(path)
        guard !path.isEmpty, !path.hasSuffix("/"), let name = filePath.lastComponent, name.string != ".", name.string != ".." else {
            throw Failure(description: "cannot write '\(path)': give a file name, not a directory")
        }
        var status = stat()
        if stat(path, &status) == 0 {
            if status.st_mode & S_IFMT == S_IFDIR { throw Failure(description: "cannot write '\(path)': it is a directory; give a file name inside it") }
            if !replacing { throw Failure(description: "'\(path)' exists: give another name, or --force to replace it") }
        }
        let directory = filePath.removingLastComponent()
        let temporary = replacing
            ? (directory.isEmpty ? FilePath(".") : directory).appending(".\(name.string).\(getpid()).tmp").string : path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot write '\(path)': \(reason(errno))") }
        var offset = 0
        let written: Bool = bytes.withUnsafeBytes { buffer in
            while offset < buffer.count, let base = buffer.baseAddress {
                let count = Glibc.write(descriptor, base + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return fsync(descriptor) == 0
        }
        let writeError = errno
        close(descriptor)
        guard written else {
            unlink(temporary)
            throw Failure(description: "cannot write '\(path)': \(reason(writeError))")
        }
        if temporary != path, rename(temporary, path) != 0 {
            let renameError = errno
            unlink(temporary)
            throw Failure(description: "cannot write '\(path)': \(reason(renameError))")
        }
    }

    /// Reads at most `limit` bytes of a regular file; refuses directories, devices and larger files with a sentence.
    public static func read(_ path: String, limit: Int) throws(Failure) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "cannot read '\(path)': \(reason(errno))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Failure(description: "cannot read '\(path)': \(reason(errno))") }
        if status.st_mode & S_IFMT == S_IFDIR { throw Failure(description: "cannot read '\(path)': it is a directory, not a file") }
        return try readAll(descriptor, limit: limit, name: "'\(path)'")
    }

    /// Reads a descriptor (a file, a pipe, standard input) to its end, refusing more than `limit` bytes without
    /// holding them: at most `limit + 1` bytes are ever read.
    public static func readAll(_ descriptor: Int32, limit: Int, name: String) throws(Failure) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count <= limit {
            let want = min(chunk.count, limit + 1 - bytes.count)
            let count = chunk.withUnsafeMutableBytes { buffer in buffer.baseAddress.map { Glibc.read(descriptor, $0, want) } ?? 0 }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read \(name): \(reason(errno))")
            }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        if bytes.count > limit { throw Failure(description: "\(name) is larger than the \(limit)-byte limit") }
        return bytes
    }

    static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no such file or directory"
        case EACCES, EPERM: "permission denied"
        case EISDIR: "it is a directory"
        case ENOTDIR: "a part of the path is not a directory"
        case ENOSPC: "no space left on the device"
        case EROFS: "the file system is read-only"
        case EEXIST: "it exists"
        default: String(cString: strerror(code))
        }
    }
}
