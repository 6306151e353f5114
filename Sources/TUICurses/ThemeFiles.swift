import Foundation
import SystemPackage
import TUIKit

/// Theme files: `Themes/NAME.theme` next to the executable's package (found by walking up from the executable and
/// from the working directory), `$SIPTRUNK_THEMES`, or a path given directly — read when the terminal is set up.
public enum ThemeFiles {
    /// Why a theme could not be used, as a sentence naming the theme or file and what to do.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func load(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(Failure) -> Theme {
        let path: String?
        if name.contains("/") || name.hasSuffix(".theme") {
            path = name
        } else {
            path = directories(environment: environment).map { "\($0)/\(name).theme" }.first { FileManager.default.fileExists(atPath: $0) }
        }
        guard let path else {
            if name == "dark" { return builtIn }
            throw Failure(description: "no theme '\(name)': the themes are dark, light, high-contrast and monochrome (files in Themes/), or give a path to a .theme file")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Failure(description: "cannot read theme \(path): \(error.localizedDescription)")
        }
        do {
            return try Theme(parsing: text, name: name)
        } catch {
            throw Failure(description: "theme \(path): \(error)")
        }
    }

    /// Where themes are looked for, in order.
    public static func directories(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var result: [String] = []
        if let themes = environment["SIPTRUNK_THEMES"] { result.append(themes) }
        let executable = FilePath(URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().path).removingLastComponent()
        for start in [executable, FilePath(FileManager.default.currentDirectoryPath)] {
            var directory = start
            for _ in 0..<6 {
                result.append(directory.appending("Themes").string)
                result.append(directory.appending("share/siptrunk/Themes").string)
                directory = directory.removingLastComponent()
            }
        }
        return result
    }

    /// Used when the Themes directory is not installed: attributes only, readable anywhere.
    public static let builtIn = Theme(name: "built-in", styles: [
        "text": TextStyle(), "title": TextStyle(bold: true), "selection": TextStyle(reverse: true), "focus": TextStyle(bold: true, underline: true),
        "input": TextStyle(underline: true), "input.focused": TextStyle(underline: true, reverse: true), "text.strong": TextStyle(bold: true),
        "text.dim": TextStyle(dim: true), "status.failed": TextStyle(bold: true), "status.warning": TextStyle(bold: true), "bar.key": TextStyle(reverse: true),
    ])
}
