import CPcap
import Foundation

/// Packets from libpcap: a pcap or pcapng file (`siptrunk trace import`), or an interface with a BPF filter
/// (`siptrunk capture -i`), decoded to SIP messages by `PacketDecoder`.
/// `@unchecked Sendable`: used by one thread at a time (the importing command, or the live capture's own thread); libpcap's handle is not shared.
public final class PcapSource: @unchecked Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    private let handle: OpaquePointer
    public private(set) var decoder: PacketDecoder
    /// Frames read.
    public private(set) var frames = 0
    /// Where the file ended early (a truncated capture), if it did.
    public private(set) var truncation: String?

    /// Opens a pcap or pcapng file.
    public init(file path: String) throws(Failure) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let opened = siptrunk_pcap_open_offline(path, &errorBuffer) else {
            throw Failure(message: "cannot read '\(path)' as a capture: \(Self.text(errorBuffer)) (pcap and pcapng files are read)")
        }
        handle = opened
        let dlt = siptrunk_pcap_datalink(opened)
        guard let linkType = PacketDecoder.LinkType(dlt: dlt) else {
            siptrunk_pcap_close(opened)
            throw Failure(message: "'\(path)' holds link type \(dlt) (\(Self.linkName(dlt))); Ethernet, Linux cooked, raw IP and loopback captures are read")
        }
        decoder = PacketDecoder(linkType: linkType)
    }

    /// Captures on an interface (`any` for all), with a BPF filter; needs CAP_NET_RAW (root).
    public init(interface: String, filter: String?, bufferBytes: Int32 = 32 << 20) throws(Failure) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let created = siptrunk_pcap_create(interface, &errorBuffer) else {
            throw Failure(message: "cannot capture on '\(interface)': \(Self.text(errorBuffer))")
        }
        siptrunk_pcap_set_snaplen(created, 65_535)
        siptrunk_pcap_set_promisc(created, 0)
        siptrunk_pcap_set_immediate_mode(created, 1)
        siptrunk_pcap_set_buffer_size(created, bufferBytes)
        siptrunk_pcap_set_timeout(created, 100)
        let status = siptrunk_pcap_activate(created)
        if status < 0 {
            let reason = String(cString: siptrunk_pcap_geterr(created))
            siptrunk_pcap_close(created)
            let hint = status == PCAP_ERROR_PERM_DENIED ? " — live capture needs root or CAP_NET_RAW (setcap cap_net_raw+ep on the binary)" : ""
            throw Failure(message: "cannot capture on '\(interface)': \(reason)\(hint)")
        }
        handle = created
        if let filter {
            var program = bpf_program()
            guard siptrunk_pcap_compile(created, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
                let reason = String(cString: siptrunk_pcap_geterr(created))
                siptrunk_pcap_close(created)
                throw Failure(message: "the filter '\(filter)' is not a BPF expression: \(reason)")
            }
            defer { siptrunk_pcap_freecode(&program) }
            guard siptrunk_pcap_setfilter(created, &program) == 0 else {
                let reason = String(cString: siptrunk_pcap_geterr(created))
                siptrunk_pcap_close(created)
                throw Failure(message: "cannot apply the filter '\(filter)': \(reason)")
            }
        }
        let dlt = siptrunk_pcap_datalink(created)
        guard let linkType = PacketDecoder.LinkType(dlt: dlt) else {
            siptrunk_pcap_close(created)
            throw Failure(message: "'\(interface)' has link type \(dlt) (\(Self.linkName(dlt))), which is not read")
        }
        decoder = PacketDecoder(linkType: linkType)
    }

    deinit { siptrunk_pcap_close(handle) }

    /// Reads up to `limit` frames (a file: to its end; an interface: what the 100 ms timeout gave) and returns the SIP
    /// messages they completed; nil at the end of a file.
    public func next(limit: Int = 4096) -> [CapturedPacket]? {
        var packets: [CapturedPacket] = []
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        for _ in 0..<limit {
            let status = siptrunk_pcap_next_ex(handle, &header, &data)
            switch status {
            case 1:
                guard let header, let data else { continue }
                frames += 1
                let length = Int(header.pointee.caplen)
                let time = Double(header.pointee.ts.tv_sec) + Double(header.pointee.ts.tv_usec) / 1_000_000
                packets += decoder.decode(Array(UnsafeBufferPointer(start: data, count: length)), time: time)
            case 0:
                return packets  // live: the timeout passed
            case PCAP_ERROR_BREAK:
                return packets.isEmpty ? nil : packets
            default:
                // A truncated file ends with an error: what was read is kept and the truncation reported.
                truncation = String(cString: siptrunk_pcap_geterr(handle))
                return packets.isEmpty ? nil : packets
            }
        }
        return packets
    }

    /// Packets the kernel dropped (live capture): libpcap's `ps_drop` plus the interface's.
    public var kernelDrops: Int {
        var stats = pcap_stat()
        guard siptrunk_pcap_stats(handle, &stats) == 0 else { return 0 }
        return Int(stats.ps_drop) + Int(stats.ps_ifdrop)
    }

    /// Stops a live capture blocked in `next` (from another thread).
    public func stop() { siptrunk_pcap_breakloop(handle) }

    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func linkName(_ dlt: Int32) -> String {
        guard let name = siptrunk_pcap_datalink_val_to_name(dlt) else { return "unknown" }
        return String(cString: name)
    }
}
