// Parse throughput of the SIP message parser on realistic trunk traffic.
//
//   swift run -c release SIPCoreBenchmarks
//
// "time" is ns per message; the `bytes` column gives each message's size, so MB/s = bytes / time * 1000.
// "parse" frames the message and splits every header (typed values stay lazy); "parse+typed" also reads
// the values a transaction layer needs: every Via hop, From and To with tags, Call-ID, CSeq, Content-Length.
import Benchmark
import SIPCore

let parser = SIPMessageParser()

/// Keeps the optimizer from discarding a result it can see is unused.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

for (name, bytes) in Corpus.all {
    precondition((try? parser.parse(datagram: bytes)) != nil, "corpus message '\(name)' does not parse")
    benchmark("parse \(name)") { state in
        state.counters["bytes"] = Double(bytes.count)
        try state.measure {
            blackHole(try! parser.parse(datagram: bytes))
        }
    }
}

for (name, bytes) in Corpus.all {
    benchmark("parse+typed \(name)") { state in
        state.counters["bytes"] = Double(bytes.count)
        try state.measure {
            let message = try! parser.parse(datagram: bytes)
            blackHole(try! message.via)
            blackHole(try! message.from)
            blackHole(try! message.to)
            blackHole(try! message.cseq)
            blackHole(message.callID)
            blackHole(message.contentLength)
        }
    }
}

// Each typed view on its own, on the 200 OK (3 Via hops, Record-Route, tagged From/To).
let okMessage = try! parser.parse(datagram: Corpus.ok)
benchmark("typed via (3 hops)") { state in try state.measure { blackHole(try! okMessage.via) } }
benchmark("typed from") { state in try state.measure { blackHole(try! okMessage.from) } }
benchmark("typed to") { state in try state.measure { blackHole(try! okMessage.to) } }
benchmark("typed cseq") { state in try state.measure { blackHole(try! okMessage.cseq) } }
benchmark("typed record-route (2)") { state in try state.measure { blackHole(try! okMessage.recordRoute) } }
benchmark("SDP parse (offer)") { state in try state.measure { blackHole(try! SessionDescription(bytes: okMessage.body)) } }

let corpusBytes = Corpus.all.reduce(0) { $0 + $1.1.count }
benchmark("parse whole corpus (\(Corpus.all.count) messages)") { state in
    state.counters["bytes"] = Double(corpusBytes)
    try state.measure {
        for (_, bytes) in Corpus.all { blackHole(try! parser.parse(datagram: bytes)) }
    }
}

benchmark("stream-frame whole corpus (\(Corpus.all.count) messages)") { state in
    let stream = Corpus.all.flatMap(\.1)
    state.counters["bytes"] = Double(stream.count)
    try state.measure {
        var framer = SIPStreamParser()
        framer.append(stream)
        while let message = try! framer.next() { blackHole(message) }
    }
}

Benchmark.main()
