// Parse throughput of the SIP message parser on realistic trunk traffic.
//
//   swift run -c release SIPCoreBenchmarks
//
// Each measured iteration handles the same message 1,000 times and times are shown in µs, so the
// `median` and `min` columns read directly as nanoseconds per message. (Batching keeps the clock's own
// cost and a noisy machine's outliers out of figures that are only a microsecond or two.)
//
// "parse" frames the message and splits every header (typed values stay lazy); "parse+typed" also reads the
// values a transaction layer needs: every Via hop, From and To with tags, Call-ID, CSeq, Content-Length.
import Benchmark
import SIPCore

let parser = SIPMessageParser()
let batch = 1000

/// Keeps the optimizer from discarding a result it can see is unused.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

func perMessage(_ name: String, _ body: @escaping () -> Void) {
    benchmark(name) { state in
        try state.measure {
            for _ in 0..<batch { body() }
        }
    }
}

for (name, bytes) in Corpus.all {
    precondition((try? parser.parse(datagram: bytes)) != nil, "corpus message '\(name)' does not parse")
    perMessage("parse \(name) [\(bytes.count) B]") { blackHole(try! parser.parse(datagram: bytes)) }
}

for (name, bytes) in Corpus.all {
    perMessage("parse+typed \(name)") {
        let message = try! parser.parse(datagram: bytes)
        blackHole(try! message.via)
        blackHole(try! message.from)
        blackHole(try! message.to)
        blackHole(try! message.cseq)
        blackHole(message.callID)
        blackHole(message.contentLength)
    }
}

// Each typed view on its own, on the 200 OK (3 Via hops, Record-Route, tagged From/To).
let okMessage = try! parser.parse(datagram: Corpus.ok)
perMessage("typed via (3 hops)") { blackHole(try! okMessage.via) }
perMessage("typed from") { blackHole(try! okMessage.from) }
perMessage("typed cseq") { blackHole(try! okMessage.cseq) }
perMessage("typed record-route (2)") { blackHole(try! okMessage.recordRoute) }
perMessage("SDP parse (offer, 14 lines)") { blackHole(try! SessionDescription(bytes: okMessage.body)) }

// The whole corpus as one TCP stream, framed by Content-Length: time per message.
let stream = Corpus.all.flatMap(\.1)
benchmark("stream-frame corpus (per message)") { state in
    try state.measure {
        for _ in 0..<(batch / Corpus.all.count) {
            var framer = SIPStreamParser()
            framer.append(stream)
            while let message = try! framer.next() { blackHole(message) }
        }
    }
}

Benchmark.main(
    customDefaults: [TimeUnit(.us), Columns(["name", "median", "min", "std", "iterations"]), MinTime(seconds: 1)]
)
