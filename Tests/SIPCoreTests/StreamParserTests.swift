import Testing

@testable import SIPCore

struct StreamParserTests {
    static let invite = Array(
        ("INVITE sip:bob@biloxi.example.com SIP/2.0\r\nVia: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n"
            + "Max-Forwards: 70\r\nFrom: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\nTo: Bob <sip:bob@biloxi.example.com>\r\n"
            + "Call-ID: 3848276298220188511@atlanta.example.com\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@client.atlanta.example.com;transport=tcp>\r\n"
            + "Content-Type: application/sdp\r\nContent-Length: 14\r\n\r\nv=0\r\no=- 1 1\r\n").utf8)
    static let bye = Array(
        ("BYE sip:alice@client.atlanta.example.com SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.4;branch=z9hG4bKnashds7\r\nMax-Forwards: 70\r\n"
            + "From: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\nTo: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
            + "Call-ID: 3848276298220188511@atlanta.example.com\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n").utf8)

    @Test func messageSplitAtEveryByte() throws {
        let expected = try SIPMessageParser().parse(datagram: Self.invite)
        for split in 0...Self.invite.count {
            var stream = SIPStreamParser()
            stream.append(Self.invite[..<split])
            let early = try stream.next()
            if split < Self.invite.count { #expect(early == nil, "complete before byte \(split)") }
            stream.append(Self.invite[split...])
            let message = try early ?? stream.next()
            #expect(message == expected, "split at \(split)")
            #expect(try stream.next() == nil)
            #expect(stream.bufferedByteCount == 0)
        }
    }

    @Test func byteByByte() throws {
        var stream = SIPStreamParser()
        var messages: [SIPMessage] = []
        for byte in Self.invite + Self.bye {
            stream.append([byte])
            while let message = try stream.next() { messages.append(message) }
        }
        #expect(messages.map { $0.method } == [.invite, .bye])
        #expect(messages[0].body == Array("v=0\r\no=- 1 1\r\n".utf8))
    }

    @Test func severalMessagesInOneReadWithKeepAlives() throws {
        var stream = SIPStreamParser()
        stream.append(Array("\r\n\r\n".utf8) + Self.invite + Array("\r\n\r\n".utf8) + Self.bye + Array("\r\n".utf8))
        #expect(try stream.next()?.method == .invite)
        #expect(try stream.next()?.method == .bye)
        #expect(try stream.next() == nil)
        #expect(stream.keepAlivesSeen == 3)
    }

    @Test func largeContentLengthAllocatesNothingUpFront() throws {
        var stream = SIPStreamParser()
        stream.append(Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 60000\r\n\r\n".utf8))
        #expect(try stream.next() == nil)
        #expect(stream.bufferedByteCount == 0)
    }

    @Test func oversizedMessagesAreRefused() throws {
        var stream = SIPStreamParser()
        stream.append(Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 9999999\r\n\r\n".utf8))
        #expect(throws: SIPParseError.self) { try stream.next() }

        var endless = SIPStreamParser(limits: SIPParserLimits(maxMessageBytes: 1024))
        endless.append(Array("OPTIONS sip:a@b SIP/2.0\r\n".utf8))
        var thrown: SIPParseError?
        for _ in 0..<200 {
            endless.append(Array("X-Filler: aaaaaaaaaaaaaaaaaaaa\r\n".utf8))
            do { _ = try endless.next() } catch {
                thrown = error
                break
            }
        }
        #expect(thrown?.kind == .messageTooLarge(limit: 1024))
    }

    @Test func errorOffsetsCountFromTheStreamStart() throws {
        var stream = SIPStreamParser()
        stream.append(Self.bye + Array("BYE sip:x SIP/2.0\r\nVia SIP/2.0/TCP h\r\n\r\n".utf8))
        _ = try stream.next()
        do {
            _ = try stream.next()
            Issue.record("accepted a header without a colon")
        } catch {
            #expect(error.kind == .missingColon)
            #expect(error.location == "Via")
            #expect(error.offset == Self.bye.count + "BYE sip:x SIP/2.0\r\nVia".utf8.count)
        }
    }
}
