import CCairo
import Crypto
import Foundation
import TrunkCore

/// The Letter of Authorization as a PDF (issue 18), drawn with cairo's PDF surface and fonts found by fontconfig.
/// The same letter always gives the same bytes (the PDF's creation date is the request's), so the SHA-256 recorded
/// at signing names exactly the document that was shown.
public enum LetterOfAuthorization {
    /// Why no letter could be drawn.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func pdf(_ letter: PortLetter) throws(Failure) -> [UInt8] {
        // cairo is opened here, on the first letter (CLibraryLoader.h says why).
        if let problem = siptrunk_cairo_unavailable() {
            throw Failure(description: "the Letter of Authorization cannot be drawn: cairo could not be loaded (\(String(cString: problem))): install libcairo2")
        }
        final class Sink {
            var bytes: [UInt8] = []
        }
        let sink = Sink()
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        let write: cairo_write_func_t = { closure, data, length in
            guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
            let sink = Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue()
            sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
            return CAIRO_STATUS_SUCCESS
        }
        // A4: 595 x 842 points.
        guard let surface = siptrunk_cairo_pdf_surface_create_for_stream(write, context.toOpaque(), 595, 842) else {
            throw Failure(description: "the Letter of Authorization cannot be drawn: cairo made no PDF surface")
        }
        let stamp = pdfDate(letter.createdAt)
        siptrunk_cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, "Letter of Authorization \(letter.requestId)")
        siptrunk_cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "siptrunk")
        siptrunk_cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, stamp)
        siptrunk_cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_MOD_DATE, stamp)
        guard let cairo = siptrunk_cairo_create(surface) else {
            siptrunk_cairo_surface_destroy(surface)
            throw Failure(description: "the Letter of Authorization cannot be drawn: cairo made no drawing context")
        }
        var y = 72.0
        func line(_ text: String, size: Double = 11, bold: Bool = false, gap: Double = 6) {
            siptrunk_cairo_select_font_face(cairo, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
            siptrunk_cairo_set_font_size(cairo, size)
            for piece in wrap(text, width: Int(460 / (size * 0.55))) {
                siptrunk_cairo_move_to(cairo, 64, y)
                siptrunk_cairo_show_text(cairo, piece)
                y += size + gap
            }
        }
        line("Letter of Authorization", size: 20, bold: true, gap: 14)
        line("to port telephone numbers (request \(letter.requestId))", size: 11, gap: 16)
        let customer = letter.businessName.map { "\($0), represented by \(letter.representative)" } ?? letter.representative
        line("I, \(letter.representative), am authorized to act for \(customer), the holder of the account below with the losing carrier. "
            + "I authorize \(letter.gainingOrganisation) to port the numbers listed below from that carrier, and the carrier to release them.", gap: 12)
        line("Numbers", bold: true)
        for number in letter.numbers { line("    \(number)", gap: 3) }
        y += 8
        line("Losing carrier account", bold: true)
        line("    Account number: \(letter.accountNumber)", gap: 3)
        line("    Customer type: \(letter.customerType)", gap: 10)
        line("Service address", bold: true)
        for part in letter.serviceAddress { line("    \(part)", gap: 3) }
        y += 8
        line("Authorized representative", bold: true)
        line("    \(letter.representative) <\(letter.representativeEmail)>", gap: 10)
        line("Requested port date", bold: true)
        line("    \(letter.targetPortDate)", gap: 18)
        line("Signature", bold: true)
        line("    Signed electronically by typing the name above and agreeing to this letter.", gap: 3)
        siptrunk_cairo_show_page(cairo)
        siptrunk_cairo_destroy(cairo)
        siptrunk_cairo_surface_finish(surface)
        siptrunk_cairo_surface_destroy(surface)
        return sink.bytes
    }

    /// The SHA-256 of the letter's PDF: what a signature records as the document shown.
    public static func digest(_ letter: PortLetter) throws(Failure) -> String { sha256(try pdf(letter)) }

    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// ISO 8601 as cairo's PDF metadata takes it.
    static func pdfDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return formatter.string(from: date)
    }

    /// Words into lines of at most `width` characters; control characters dropped (they came from the request).
    static func wrap(_ text: String, width: Int) -> [String] {
        let clean = String(text.unicodeScalars.filter { $0.properties.generalCategory != .control }.map(Character.init))
        var lines: [String] = []
        var current = ""
        for word in clean.split(separator: " ", omittingEmptySubsequences: false) {
            if current.count + word.count + 1 > width, !current.isEmpty {
                lines.append(current)
                current = String(word)
            } else {
                current += current.isEmpty ? String(word) : " " + word
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }
}
