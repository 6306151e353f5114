import Foundation

/// Realistic trunk traffic: what an SBC or PBX sends and receives in a call and around it.
enum Corpus {
    static func message(_ lines: [String], body: String = "") -> [UInt8] {
        let bodyBytes = body.replacingOccurrences(of: "\n", with: "\r\n")
        return Array((lines + ["Content-Length: \(bodyBytes.utf8.count)", "", ""]).joined(separator: "\r\n").utf8) + Array(bodyBytes.utf8)
    }

    static let sdp = """
        v=0
        o=- 1700000000 1700000001 IN IP4 203.0.113.10
        s=siptrunk
        c=IN IP4 203.0.113.10
        t=0 0
        m=audio 16384 RTP/AVP 0 8 111 101
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:111 opus/48000/2
        a=fmtp:111 useinbandfec=1
        a=rtpmap:101 telephone-event/8000
        a=fmtp:101 0-16
        a=ptime:20
        a=sendrecv

        """

    static let invite = message([
        "INVITE sip:+14155550123@pbx.example.com:5061;transport=tls SIP/2.0",
        "Via: SIP/2.0/TLS 203.0.113.10:5061;branch=z9hG4bK-524287-1---5d8e1c3a9f;rport",
        "Max-Forwards: 70",
        "Contact: <sip:trunk@203.0.113.10:5061;transport=tls>",
        "To: <sip:+14155550123@pbx.example.com>",
        "From: \"Example Co\" <sip:+14155550100@sip.example.net>;tag=8f2d7a1c",
        "Call-ID: 7c1a2b3d4e5f60718293a4b5c6d7e8f9@203.0.113.10",
        "CSeq: 1 INVITE",
        "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY",
        "Supported: replaces, timer",
        "User-Agent: siptrunk/0.1",
        "Content-Type: application/sdp",
    ], body: sdp)

    static let trying = message([
        "SIP/2.0 100 Trying",
        "Via: SIP/2.0/TLS 203.0.113.10:5061;branch=z9hG4bK-524287-1---5d8e1c3a9f;rport=5061;received=203.0.113.10",
        "To: <sip:+14155550123@pbx.example.com>",
        "From: \"Example Co\" <sip:+14155550100@sip.example.net>;tag=8f2d7a1c",
        "Call-ID: 7c1a2b3d4e5f60718293a4b5c6d7e8f9@203.0.113.10",
        "CSeq: 1 INVITE",
        "Server: Asterisk PBX 20.5.0",
    ])

    static let ringing = message([
        "SIP/2.0 180 Ringing",
        "Via: SIP/2.0/TLS 198.51.100.7:5061;branch=z9hG4bK77ef4c2312983.1;received=198.51.100.7",
        "Via: SIP/2.0/TLS 192.0.2.20:5061;branch=z9hG4bKnashds8;received=192.0.2.20;rport=5061",
        "Via: SIP/2.0/TLS 203.0.113.10:5061;branch=z9hG4bK-524287-1---5d8e1c3a9f;rport=5061;received=203.0.113.10",
        "Record-Route: <sip:198.51.100.7:5061;transport=tls;lr;ftag=8f2d7a1c>",
        "Record-Route: <sip:192.0.2.20:5061;transport=tls;lr>",
        "To: <sip:+14155550123@pbx.example.com>;tag=as4a2b9c1d",
        "From: \"Example Co\" <sip:+14155550100@sip.example.net>;tag=8f2d7a1c",
        "Call-ID: 7c1a2b3d4e5f60718293a4b5c6d7e8f9@203.0.113.10",
        "CSeq: 1 INVITE",
        "Contact: <sip:+14155550123@192.0.2.30:5061;transport=tls>",
        "Server: Asterisk PBX 20.5.0",
    ])

    static let ok = message([
        "SIP/2.0 200 OK",
        "Via: SIP/2.0/TLS 198.51.100.7:5061;branch=z9hG4bK77ef4c2312983.1;received=198.51.100.7",
        "Via: SIP/2.0/TLS 192.0.2.20:5061;branch=z9hG4bKnashds8;received=192.0.2.20;rport=5061",
        "Via: SIP/2.0/TLS 203.0.113.10:5061;branch=z9hG4bK-524287-1---5d8e1c3a9f;rport=5061;received=203.0.113.10",
        "Record-Route: <sip:198.51.100.7:5061;transport=tls;lr;ftag=8f2d7a1c>",
        "Record-Route: <sip:192.0.2.20:5061;transport=tls;lr>",
        "To: <sip:+14155550123@pbx.example.com>;tag=as4a2b9c1d",
        "From: \"Example Co\" <sip:+14155550100@sip.example.net>;tag=8f2d7a1c",
        "Call-ID: 7c1a2b3d4e5f60718293a4b5c6d7e8f9@203.0.113.10",
        "CSeq: 1 INVITE",
        "Contact: <sip:+14155550123@192.0.2.30:5061;transport=tls>",
        "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE",
        "Supported: replaces, timer",
        "Server: Asterisk PBX 20.5.0",
        "Content-Type: application/sdp",
    ], body: sdp)

    static let options = message([
        "OPTIONS sip:pbx.example.com:5061;transport=tls SIP/2.0",
        "Via: SIP/2.0/TLS 203.0.113.10:5061;branch=z9hG4bK-524287-1---0c1d2e3f4a;rport",
        "Max-Forwards: 70",
        "To: <sip:pbx.example.com>",
        "From: <sip:probe@sip.example.net>;tag=4d3c2b1a",
        "Call-ID: 0a1b2c3d4e5f@203.0.113.10",
        "CSeq: 102 OPTIONS",
        "Accept: application/sdp",
        "User-Agent: siptrunk/0.1",
    ])

    static let register = message([
        "REGISTER sip:pbx.example.com SIP/2.0",
        "Via: SIP/2.0/TLS 203.0.113.10:5061;branch=z9hG4bK-524287-1---7a6b5c4d3e;rport",
        "Max-Forwards: 70",
        "Contact: <sip:trunk@203.0.113.10:5061;transport=tls>;expires=3600",
        "To: <sip:trunk@pbx.example.com>",
        "From: <sip:trunk@pbx.example.com>;tag=5e4d3c2b",
        "Call-ID: 9f8e7d6c5b4a@203.0.113.10",
        "CSeq: 2 REGISTER",
        "Expires: 3600",
        "Authorization: Digest username=\"trunk\",realm=\"pbx.example.com\",nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",uri=\"sip:pbx.example.com\",response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\",algorithm=SHA-256,cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv\",qop=auth,nc=00000001",
        "User-Agent: siptrunk/0.1",
    ])

    static let unauthorized = message([
        "SIP/2.0 401 Unauthorized",
        "Via: SIP/2.0/TLS 203.0.113.10:5061;branch=z9hG4bK-524287-1---7a6b5c4d3e;rport=5061;received=203.0.113.10",
        "To: <sip:trunk@pbx.example.com>;tag=as1f2e3d4c",
        "From: <sip:trunk@pbx.example.com>;tag=5e4d3c2b",
        "Call-ID: 9f8e7d6c5b4a@203.0.113.10",
        "CSeq: 1 REGISTER",
        "WWW-Authenticate: Digest realm=\"pbx.example.com\", nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", algorithm=SHA-256, qop=\"auth\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
        "WWW-Authenticate: Digest realm=\"pbx.example.com\", nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", algorithm=MD5, qop=\"auth\"",
        "Server: Asterisk PBX 20.5.0",
    ])

    static let bye = message([
        "BYE sip:+14155550123@192.0.2.30:5061;transport=tls SIP/2.0",
        "Via: SIP/2.0/TLS 203.0.113.10:5061;branch=z9hG4bK-524287-1---1b2c3d4e5f;rport",
        "Max-Forwards: 70",
        "Route: <sip:192.0.2.20:5061;transport=tls;lr>",
        "Route: <sip:198.51.100.7:5061;transport=tls;lr;ftag=8f2d7a1c>",
        "To: <sip:+14155550123@pbx.example.com>;tag=as4a2b9c1d",
        "From: \"Example Co\" <sip:+14155550100@sip.example.net>;tag=8f2d7a1c",
        "Call-ID: 7c1a2b3d4e5f60718293a4b5c6d7e8f9@203.0.113.10",
        "CSeq: 2 BYE",
        "User-Agent: siptrunk/0.1",
    ])

    /// A carrier INVITE with about forty headers (P-headers, diversion, session timers, identity).
    static let fortyHeaders = message([
        "INVITE sip:+14155550123@pbx.example.com SIP/2.0",
        "Via: SIP/2.0/TCP 198.51.100.7:5060;branch=z9hG4bK77ef4c2312983.1",
        "Via: SIP/2.0/TCP 198.51.100.8:5060;branch=z9hG4bK77ef4c2312983.2;received=198.51.100.8",
        "Via: SIP/2.0/TCP 198.51.100.9:5060;branch=z9hG4bK77ef4c2312983.3;received=198.51.100.9",
        "Max-Forwards: 67",
        "Record-Route: <sip:198.51.100.7;transport=tcp;lr>",
        "Record-Route: <sip:198.51.100.8;transport=tcp;lr>",
        "From: \"CALLER NAME\" <sip:+12125550100@carrier.example.org;user=phone>;tag=gK0a1b2c3d",
        "To: <sip:+14155550123@pbx.example.com;user=phone>",
        "Call-ID: 1893456721_12345678@198.51.100.7",
        "CSeq: 18245 INVITE",
        "Contact: <sip:+12125550100@198.51.100.7:5060;transport=tcp>",
        "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, REFER, NOTIFY",
        "Supported: 100rel, timer, replaces, histinfo",
        "Session-Expires: 1800;refresher=uac",
        "Min-SE: 90",
        "P-Asserted-Identity: \"CALLER NAME\" <sip:+12125550100@carrier.example.org;user=phone>",
        "P-Charging-Vector: icid-value=1234bc9876e;icid-generated-at=198.51.100.7;orig-ioi=carrier.example.org",
        "P-Early-Media: supported",
        "Privacy: none",
        "Diversion: <sip:+14155550999@carrier.example.org>;reason=unconditional;counter=1",
        "History-Info: <sip:+14155550999@carrier.example.org>;index=1",
        "History-Info: <sip:+14155550123@pbx.example.com;cause=302>;index=1.1",
        "Identity: eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0In0.eyJhdHRlc3QiOiJBIn0.sig;info=<https://cert.example.org/cert.pem>;alg=ES256;ppt=shaken",
        "Accept: application/sdp, application/isup, multipart/mixed",
        "Accept-Encoding: identity",
        "Accept-Language: en",
        "Alert-Info: <http://www.example.com/ring.wav>",
        "Call-Info: <http://www.example.com/alice/photo.jpg>;purpose=icon",
        "Organization: Example Carrier",
        "Priority: normal",
        "Subject: incoming call",
        "Date: Sat, 13 Nov 2010 23:29:00 GMT",
        "Timestamp: 54",
        "Reason: Q.850;cause=16;text=\"Normal call clearing\"",
        "X-Carrier-Trunk: trunk-17",
        "X-Carrier-Route: route-a",
        "X-Carrier-Rate: 0.0042",
        "User-Agent: CarrierSBC/9.2",
        "Content-Type: application/sdp",
    ], body: sdp)

    static let all: [(String, [UInt8])] = [
        ("INVITE with SDP", invite), ("100 Trying", trying), ("180 Ringing, 3 Via, Record-Route", ringing),
        ("200 OK with SDP, 3 Via, Record-Route", ok), ("OPTIONS", options), ("REGISTER with Authorization", register),
        ("401 with WWW-Authenticate", unauthorized), ("BYE with Route", bye), ("INVITE with 40 headers", fortyHeaders),
    ]
}
