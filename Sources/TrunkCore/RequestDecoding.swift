import Foundation

/// The API's request bodies, decoded strictly for the HTTP API and the CLI's `--request FILE` alike (issue 17: "invalid
/// payloads will be rejected with a 400 response"): malformed JSON, nesting deeper than 32, a field of the wrong
/// type, a missing field and a field the request does not have are each refused, naming the field and the rule.
public enum RequestDecoding {
    /// The deepest nesting of objects and arrays a request may have (the deepest real request nests 5).
    public static let maximumDepth = 32

    public static func decode<T: Codable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws(TrunkError) -> T {
        let data = Data(bytes)
        if let problem = nestingProblem(data) { throw .validation([FieldError("body", problem)]) }
        let tree: Any
        do {
            tree = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw .validation([FieldError("body", "is not valid JSON (UTF-8 text holding one object): \(Self.reason(error))")])
        }
        guard tree is [String: Any] else { throw .validation([FieldError("body", "must be a JSON object")]) }
        // No field takes null: an optional field is left out (one spelling for "not given", as the schema says).
        let nulls = nullFields(tree, at: "")
        if !nulls.isEmpty { throw .validation(nulls.map { FieldError($0, "is null; leave the field out instead") }) }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let value: T
        do {
            value = try decoder.decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw .validation([FieldError(path(context.codingPath + [key]), "is required")])
        } catch let DecodingError.typeMismatch(expected, context) {
            throw .validation([FieldError(path(context.codingPath), "must be \(describe(expected))")])
        } catch let DecodingError.valueNotFound(expected, context) {
            throw .validation([FieldError(path(context.codingPath), "must be \(describe(expected)), not null")])
        } catch let DecodingError.dataCorrupted(context) {
            throw .validation([FieldError(context.codingPath.isEmpty ? "body" : path(context.codingPath), context.debugDescription)])
        } catch {
            throw .validation([FieldError("body", "cannot be read: \(error)")])
        }
        // A field the request type does not have is refused (a typo such as "phone_nubmer" must not be ignored):
        // encoded back, the typed value has every field it understood.
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        if let encoded = try? encoder.encode(value), let known = try? JSONSerialization.jsonObject(with: encoded) {
            let unknown = unknownFields(tree, known: known, at: "")
            if !unknown.isEmpty {
                throw .validation(unknown.map { FieldError($0, "is not a field of this request") })
            }
        }
        return value
    }

    static func nullFields(_ value: Any, at prefix: String) -> [String] {
        if value is NSNull { return [prefix.isEmpty ? "body" : prefix] }
        if let object = value as? [String: Any] {
            return object.keys.sorted().flatMap { key in nullFields(object[key] as Any, at: prefix.isEmpty ? key : "\(prefix).\(key)") }
        }
        if let array = value as? [Any] {
            return array.indices.flatMap { nullFields(array[$0], at: "\(prefix)[\($0)]") }
        }
        return []
    }

    /// Paths in `given` that `known` lacks.
    static func unknownFields(_ given: Any, known: Any, at prefix: String) -> [String] {
        if let object = given as? [String: Any] {
            let knownObject = known as? [String: Any] ?? [:]
            return object.keys.sorted().flatMap { key -> [String] in
                let path = prefix.isEmpty ? key : "\(prefix).\(key)"
                guard let inner = knownObject[key] else { return [path] }
                return unknownFields(object[key] as Any, known: inner, at: path)
            }
        }
        if let array = given as? [Any], let knownArray = known as? [Any] {
            return array.indices.flatMap { index in
                index < knownArray.count ? unknownFields(array[index], known: knownArray[index], at: "\(prefix)[\(index)]") : []
            }
        }
        return []
    }

    /// Nesting deeper than the limit, found before parsing (a parser recursing 100,000 levels runs out of stack).
    static func nestingProblem(_ data: Data) -> String? {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in data {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > maximumDepth { return "nests objects and arrays more than \(maximumDepth) deep" }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        return nil
    }

    /// A coding path in the API's spelling: `directions[0].register_auth.password`.
    public static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                let name = key.stringValue.reduce(into: "") { out, char in
                    if char.isUppercase { out += "_" + char.lowercased() } else { out.append(char) }
                }
                text += text.isEmpty ? name : ".\(name)"
            }
        }
        return text.isEmpty ? "body" : text
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is [Any].Type: return "an array"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object"
        }
    }

    static func reason(_ error: any Error) -> String {
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        return text.isEmpty ? "unreadable" : text
    }
}
