import Foundation
import TrunkCore

enum JSONOutput {
    static func print<Payload: Encodable>(_ envelope: Envelope<Payload>) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        do {
            let data = try encoder.encode(envelope)
            TerminalOutput.json(String(decoding: data, as: UTF8.self) + "\n")
        } catch {
            printError("siptrunk: cannot encode JSON: \(error)")
        }
    }

    static func success<Payload: Encodable>(_ payload: Payload) {
        print(Envelope(data: payload, errors: nil))
    }

    /// One compact JSON object on one line (JSON Lines), for streams such as the monitor's samples.
    static func line<Payload: Encodable>(_ payload: Payload) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(payload) else { return }
        TerminalOutput.json(String(decoding: data, as: UTF8.self) + "\n")
    }

    static func failure(_ code: String, _ message: String) {
        print(Envelope<String>(data: nil, errors: [.init(error: code, message: message)]))
    }
}
