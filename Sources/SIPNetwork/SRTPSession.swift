import CSRTP
import SIPCore

/// SRTP with libsrtp2 (RFC 3711), AES_CM_128_HMAC_SHA1_80: one context protects what we send with our key,
/// another checks and decrypts what arrives with the far end's key (SDES, RFC 4568).
/// `@unchecked Sendable`: libsrtp's contexts are used by the media session on the RTP socket's event loop only.
public final class SRTPSession: @unchecked Sendable {
    private var outbound: srtp_t?
    private var inbound: srtp_t?

    public struct SRTPError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    private static let initialised: Bool = srtp_init() == srtp_err_status_ok

    /// `sendKey` and `receiveKey` are 30 bytes each: the 16-byte master key followed by the 14-byte salt.
    public init(sendKey: [UInt8], receiveKey: [UInt8]) throws {
        guard Self.initialised else { throw SRTPError(description: "libsrtp2 failed to initialise") }
        guard sendKey.count == 30, receiveKey.count == 30 else {
            throw SRTPError(description: "AES_CM_128_HMAC_SHA1_80 needs 30-byte keys (16 key + 14 salt)")
        }
        outbound = try Self.context(key: sendKey, direction: ssrc_any_outbound)
        inbound = try Self.context(key: receiveKey, direction: ssrc_any_inbound)
    }

    deinit {
        if let outbound { srtp_dealloc(outbound) }
        if let inbound { srtp_dealloc(inbound) }
    }

    private static func context(key: [UInt8], direction: srtp_ssrc_type_t) throws -> srtp_t? {
        var policy = srtp_policy_t()
        srtp_crypto_policy_set_rtp_default(&policy.rtp)
        srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        policy.ssrc.type = direction
        policy.window_size = 128
        var session: srtp_t?
        var keyBytes = key
        let status = keyBytes.withUnsafeMutableBufferPointer { buffer -> srtp_err_status_t in
            policy.key = buffer.baseAddress
            return srtp_create(&session, &policy)
        }
        guard status == srtp_err_status_ok else { throw SRTPError(description: "srtp_create failed (\(status.rawValue))") }
        return session
    }

    /// An RTP packet made into SRTP (encrypted payload and an authentication tag).
    public func protect(_ rtp: [UInt8]) -> [UInt8]? {
        var buffer = rtp + [UInt8](repeating: 0, count: Int(SRTP_MAX_TRAILER_LEN))
        var length = Int32(rtp.count)
        let status = buffer.withUnsafeMutableBytes { srtp_protect(outbound, $0.baseAddress, &length) }
        guard status == srtp_err_status_ok else { return nil }
        return Array(buffer.prefix(Int(length)))
    }

    /// An RTCP compound packet made into SRTCP (encrypted, with the E flag and index, and a tag).
    public func protectControl(_ rtcp: [UInt8]) -> [UInt8]? {
        var buffer = rtcp + [UInt8](repeating: 0, count: Int(SRTP_MAX_TRAILER_LEN) + 4)
        var length = Int32(rtcp.count)
        let status = buffer.withUnsafeMutableBytes { srtp_protect_rtcp(outbound, $0.baseAddress, &length) }
        guard status == srtp_err_status_ok else { return nil }
        return Array(buffer.prefix(Int(length)))
    }

    /// An SRTCP packet checked and decrypted, or nil when it fails authentication or replays.
    public func unprotectControl(_ srtcp: [UInt8]) -> [UInt8]? {
        var buffer = srtcp
        var length = Int32(srtcp.count)
        let status = buffer.withUnsafeMutableBytes { srtp_unprotect_rtcp(inbound, $0.baseAddress, &length) }
        guard status == srtp_err_status_ok else { return nil }
        return Array(buffer.prefix(Int(length)))
    }

    /// An SRTP packet checked and decrypted, or nil when it fails authentication or replays.
    public func unprotect(_ srtp: [UInt8]) -> [UInt8]? {
        var buffer = srtp
        var length = Int32(srtp.count)
        let status = buffer.withUnsafeMutableBytes { srtp_unprotect(inbound, $0.baseAddress, &length) }
        guard status == srtp_err_status_ok else { return nil }
        return Array(buffer.prefix(Int(length)))
    }
}
