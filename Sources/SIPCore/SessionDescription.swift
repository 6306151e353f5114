/// An SDP session description (RFC 4566), as used in offer/answer (RFC 3264).
///
/// Lines this type does not model (`i=`, `u=`, `e=`, `p=`, `z=`, `k=`, `r=`) are kept in order so a description
/// survives a parse and re-serialization.
public struct SessionDescription: Sendable, Hashable {
    public struct Origin: Sendable, Hashable {
        public var username: String
        public var sessionID: String
        public var sessionVersion: String
        public var networkType: String
        public var addressType: String
        public var address: String

        public init(
            username: String = "-", sessionID: String, sessionVersion: String, networkType: String = "IN",
            addressType: String, address: String
        ) {
            self.username = username
            self.sessionID = sessionID
            self.sessionVersion = sessionVersion
            self.networkType = networkType
            self.addressType = addressType
            self.address = address
        }
    }

    public struct Connection: Sendable, Hashable {
        public var networkType: String
        public var addressType: String
        public var address: String

        public init(networkType: String = "IN", addressType: String, address: String) {
            self.networkType = networkType
            self.addressType = addressType
            self.address = address
        }

        /// A connection line for an IPv4 or IPv6 address.
        public init(address: String) {
            self.init(addressType: address.contains(":") ? "IP6" : "IP4", address: address)
        }
    }

    public struct Attribute: Sendable, Hashable {
        public var name: String
        public var value: String?
        public init(_ name: String, _ value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    /// A line kept verbatim: its type letter and value.
    public struct Line: Sendable, Hashable {
        public var type: Character
        public var value: String
    }

    public var version: Int
    public var origin: Origin
    public var sessionName: String
    public var connection: Connection?
    public var bandwidths: [String]
    /// `t=` values, e.g. `0 0`.
    public var timing: [String]
    public var attributes: [Attribute]
    public var media: [MediaDescription]
    public var otherLines: [Line]

    public init(
        origin: Origin, sessionName: String = "-", connection: Connection? = nil, timing: [String] = ["0 0"],
        attributes: [Attribute] = [], media: [MediaDescription] = []
    ) {
        self.version = 0
        self.origin = origin
        self.sessionName = sessionName
        self.connection = connection
        self.bandwidths = []
        self.timing = timing
        self.attributes = attributes
        self.media = media
        self.otherLines = []
    }

    /// The direction for the session, from session-level attributes (RFC 3264 §5.1); `sendrecv` by default.
    public var direction: MediaDirection { MediaDirection(attributes: attributes) ?? .sendrecv }
}

/// `sendrecv`, `sendonly`, `recvonly`, `inactive` (RFC 3264 §5.1).
public enum MediaDirection: String, Sendable, Hashable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    init?(attributes: [SessionDescription.Attribute]) {
        for attribute in attributes.reversed() {
            if let direction = MediaDirection(rawValue: attribute.name.lowercased()) {
                self = direction
                return
            }
        }
        return nil
    }
}

/// One `m=` section.
public struct MediaDescription: Sendable, Hashable {
    public var media: String
    public var port: Int
    public var portCount: Int?
    public var proto: String
    /// Formats as written: payload type numbers for RTP profiles.
    public var formats: [String]
    public var information: String?
    public var connection: SessionDescription.Connection?
    public var bandwidths: [String]
    /// Lines of this section that are not modelled (`k=` and unknown types), kept in order.
    public var otherLines: [SessionDescription.Line]
    public var attributes: [SessionDescription.Attribute]

    public init(
        media: String = "audio", port: Int, proto: String = "RTP/AVP", formats: [String],
        connection: SessionDescription.Connection? = nil, attributes: [SessionDescription.Attribute] = []
    ) {
        self.media = media
        self.port = port
        self.portCount = nil
        self.proto = proto
        self.formats = formats
        self.information = nil
        self.connection = connection
        self.bandwidths = []
        self.otherLines = []
        self.attributes = attributes
    }

    public var isRTP: Bool { proto.uppercased().hasPrefix("RTP/") }

    public func attribute(_ name: String) -> String? {
        let lower = name.lowercased()
        return attributes.first { $0.name.lowercased() == lower }.map { $0.value ?? "" }
    }

    public func attributes(_ name: String) -> [String] {
        let lower = name.lowercased()
        return attributes.filter { $0.name.lowercased() == lower }.map { $0.value ?? "" }
    }

    /// The media direction (RFC 3264 §5.1), or nil when the section does not say (the session's then applies).
    public var direction: MediaDirection? { MediaDirection(attributes: attributes) }

    /// `a=rtpmap` entries, parsed.
    public var rtpMaps: [RTPMap] { attributes("rtpmap").compactMap { try? RTPMap(parsing: $0) } }

    /// The `a=fmtp` parameters for a payload type.
    public func formatParameters(for payloadType: UInt8) -> String? {
        for value in attributes("fmtp") {
            let parts = value.split(separator: " ", maxSplits: 1)
            if parts.first.flatMap({ UInt8($0) }) == payloadType { return parts.count > 1 ? String(parts[1]) : "" }
        }
        return nil
    }

    /// The RTCP port from `a=rtcp` (RFC 3605), or RTP + 1 when absent; RTP's own port with `a=rtcp-mux` (RFC 5761).
    public var rtcpPort: Int {
        if attribute("rtcp-mux") != nil { return port }
        if let value = attribute("rtcp"), let number = value.split(separator: " ").first.flatMap({ Int($0) }), (1...65535).contains(number) {
            return number
        }
        return port + 1
    }

    /// `a=crypto` lines (RFC 4568), parsed.
    public var cryptos: [CryptoAttribute] { attributes("crypto").compactMap { try? CryptoAttribute(parsing: $0) } }

    /// The offered codecs in preference order: static payload types by their RFC 3551 names, dynamic ones from
    /// `a=rtpmap`.
    public var codecs: [Codec] {
        guard isRTP else { return [] }
        let maps = Dictionary(rtpMaps.map { ($0.payloadType, $0) }) { first, _ in first }
        return formats.compactMap { format in
            guard let payloadType = UInt8(format) else { return nil }
            if let map = maps[payloadType] {
                return Codec(payloadType: payloadType, name: map.encoding, clockRate: map.clockRate, channels: map.channels)
            }
            return Codec.staticPayloadTypes[payloadType]
        }
    }
}

/// A codec as SDP names it.
public struct Codec: Sendable, Hashable, CustomStringConvertible {
    public var payloadType: UInt8
    public var name: String
    public var clockRate: UInt32
    public var channels: Int?

    public init(payloadType: UInt8, name: String, clockRate: UInt32, channels: Int? = nil) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
    }

    public var description: String { name }

    /// RFC 3551 §6 static audio payload types.
    public static let staticPayloadTypes: [UInt8: Codec] = [
        0: Codec(payloadType: 0, name: "PCMU", clockRate: 8000),
        3: Codec(payloadType: 3, name: "GSM", clockRate: 8000),
        4: Codec(payloadType: 4, name: "G723", clockRate: 8000),
        8: Codec(payloadType: 8, name: "PCMA", clockRate: 8000),
        9: Codec(payloadType: 9, name: "G722", clockRate: 8000),
        13: Codec(payloadType: 13, name: "CN", clockRate: 8000),
        18: Codec(payloadType: 18, name: "G729", clockRate: 8000),
    ]

    public static let pcmu = Codec(payloadType: 0, name: "PCMU", clockRate: 8000)
    public static let pcma = Codec(payloadType: 8, name: "PCMA", clockRate: 8000)
    public static let g722 = Codec(payloadType: 9, name: "G722", clockRate: 8000)
    public static let g729 = Codec(payloadType: 18, name: "G729", clockRate: 8000)
    public static let opus = Codec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2)
    public static let telephoneEvent = Codec(payloadType: 101, name: "telephone-event", clockRate: 8000)

    /// The `a=rtpmap` value for this codec.
    public var rtpMapValue: String {
        "\(payloadType) \(name)/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]` (RFC 4566 §6).
public struct RTPMap: Sendable, Hashable {
    public var payloadType: UInt8
    public var encoding: String
    public var clockRate: UInt32
    public var channels: Int?

    public init(parsing value: String) throws(SIPSyntaxError) {
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { throw SIPSyntaxError("a=rtpmap", "expected '<payload type> <encoding>/<clock rate>'", offset: 0) }
        payloadType = try SessionDescription.payloadType(String(parts[0]), context: "a=rtpmap")
        let encodingParts = parts[1].split(separator: "/", omittingEmptySubsequences: false)
        guard encodingParts.count >= 2, encodingParts.count <= 3, !encodingParts[0].isEmpty else {
            throw SIPSyntaxError("a=rtpmap", "expected '<encoding>/<clock rate>[/<channels>]'", offset: parts[0].count + 1)
        }
        encoding = String(encodingParts[0])
        guard encodingParts[1].count <= 10, let rate = UInt32(encodingParts[1]), rate > 0 else {
            throw SIPSyntaxError("a=rtpmap", "clock rate '\(encodingParts[1])' is not a positive number", offset: parts[0].count + 1)
        }
        clockRate = rate
        if encodingParts.count == 3 {
            guard let count = Int(encodingParts[2]), (1...255).contains(count) else {
                throw SIPSyntaxError("a=rtpmap", "channel count '\(encodingParts[2])' is not a number from 1 to 255", offset: parts[0].count + 1)
            }
            channels = count
        } else {
            channels = nil
        }
    }
}
