import Foundation
import Hummingbird
import MultipartKit
import NIOCore
import TrunkCore

/// `POST /v1/sip/port/document`: one multipart/form-data part named `file` (the guide), read with MultipartKit.
struct PortUpload {
    var bytes: [UInt8]
    var fileName: String

    /// 10 MB of document plus room for the multipart framing.
    static let maximumBodyBytes = SIPTrunkService.maximumDocumentBytes + 64 * 1024

    static func read(_ request: Request, _ context: APIContext) async throws -> PortUpload {
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data"), let boundary = parameter("boundary", in: contentType), !boundary.isEmpty else {
            throw APIFailure(.unsupportedMediaType, "unsupported_media_type", "send the document as multipart/form-data with a part named file")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIFailure(.contentTooLarge, "request_too_large", "file: a document is at most \(SIPTrunkService.maximumDocumentBytes) bytes (10 MB)", field: "file")
        }
        final class Collector {
            var headers: [(String, String)] = []
            var body: [UInt8] = []
            var parts: [(headers: [(String, String)], body: [UInt8])] = []
        }
        let collector = Collector()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in collector.headers.append((name, value)) }
        parser.onBody = { buffer in collector.body += buffer.readBytes(length: buffer.readableBytes) ?? [] }
        parser.onPartComplete = {
            collector.parts.append((collector.headers, collector.body))
            collector.headers = []
            collector.body = []
        }
        do {
            try parser.execute(body)
        } catch {
            throw APIFailure.invalid("body", "is not multipart/form-data with the boundary its Content-Type names")
        }
        for part in collector.parts {
            guard let disposition = part.headers.first(where: { $0.0.lowercased() == "content-disposition" })?.1,
                parameter("name", in: disposition) == "file"
            else { continue }
            return PortUpload(bytes: part.body, fileName: parameter("filename", in: disposition) ?? "document")
        }
        throw APIFailure.invalid("file", "is required: a multipart part named file holding the PDF, PNG or JPEG")
    }

    /// `key=value` or `key="value"` in a header's parameters.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            return pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? String(pair[1].dropFirst().dropLast()) : pair[1]
        }
        return nil
    }
}
