import Foundation
import SIPCore

// The parse-cost harness that Benchmarks/parse-instructions.sh runs under callgrind (instructions are counted, not
// timed, so figures repeat on shared machines): every message of a corpus directory, N times over.
//
//   ParseInstructions parse|typed ITERATIONS DIRECTORY
//
// "parse" frames the datagram and splits its headers (SIPMessageParser.parse(datagram:)); "typed" also decodes the
// headers sofia-sip's msg_make decodes: every Via hop, From, To, CSeq, Call-ID, Contact, Route, Record-Route,
// Max-Forwards, the four authentication headers, Allow, Supported, Content-Length and Content-Type.

@inline(never)
func keep<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

let arguments = CommandLine.arguments
guard arguments.count == 4, ["parse", "typed"].contains(arguments[1]), let iterations = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: ParseInstructions parse|typed ITERATIONS DIRECTORY\n".utf8))
    exit(2)
}
let typed = arguments[1] == "typed"
let directory = arguments[3]
let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".sip") }.sorted()
let corpus: [[UInt8]] = names.compactMap { name in
    FileManager.default.contents(atPath: directory + "/" + name).map { Array($0) }
}
guard !corpus.isEmpty else {
    FileHandle.standardError.write(Data("ParseInstructions: no .sip files in \(directory)\n".utf8))
    exit(1)
}
let parser = SIPMessageParser()
var parsed = 0
// One pass before the counted ones, in every run (0 iterations included): one-time costs — the dynamic linker
// binding each function on its first call, static initialisers — then cancel out of the difference.
for pass in -1..<iterations {
    for bytes in corpus {
        guard let message = try? parser.parse(datagram: bytes) else { continue }
        if pass >= 0 { parsed += 1 }
        if typed {
            keep(try? message.via)
            keep(try? message.from)
            keep(try? message.to)
            keep(try? message.cseq)
            keep(message.callID)
            keep(try? message.contact)
            keep(try? message.route)
            keep(try? message.recordRoute)
            keep(try? message.maxForwards)
            keep(try? message.wwwAuthenticate)
            keep(try? message.proxyAuthenticate)
            keep(try? message.authorization)
            keep(try? message.proxyAuthorization)
            keep(message.allow)
            keep(message.supported)
            keep(try? message.contentLength)
            keep(message.contentType)
        } else {
            keep(message)
        }
    }
}
print("\(corpus.count) messages, \(parsed) parsed")
