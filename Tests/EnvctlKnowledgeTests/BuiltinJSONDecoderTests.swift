import EnvctlModel
import Foundation
import Testing

@testable import EnvctlKnowledge

@Suite("Built-in knowledge base: the start-up JSON decoder")
struct BuiltinJSONDecoderTests {
    /// Decoding loses nothing: the decoded base encodes back to the generated text byte for byte, and
    /// Foundation's decoder reads the same value from it.
    @Test func decodesTheBuiltinBaseExactlyAsFoundationDoes() throws {
        let kb = KnowledgeBase.builtin
        #expect(try kb.canonicalJSON() == KnowledgeBase.builtinCanonicalJSON)
        let foundation = try JSONDecoder().decode(
            KnowledgeBase.self, from: Data(KnowledgeBase.builtinCanonicalJSON.utf8))
        #expect(foundation == kb)
    }

    struct Sample: Decodable, Equatable {
        var name: String
        var count: Int
        var ratio: Double
        var flag: Bool
        var missing: String?
        var null: Int?
        var list: [Int]
        var map: [String: [String]]
        var nested: [Sample]?
    }

    @Test func readsEscapesNumbersAndNesting() throws {
        let text = #"""
            { "name": "a\"b\\c\/d\n\u00e9\ud83d\ude00 ok", "count": -12, "ratio": 1.5e2, "flag": true, "null": null,
              "list": [1, 2, 3], "map": {"x": ["1"], "y": []},
              "nested": [{"name": "", "count": 0, "ratio": 0, "flag": false, "list": [], "map": {}}] }
            """#
        let sample = try BuiltinJSONDecoder.decode(Sample.self, from: text)
        #expect(sample == (try JSONDecoder().decode(Sample.self, from: Data(text.utf8))))
        #expect(sample.name == "a\"b\\c/d\né😀 ok")
        #expect(sample.count == -12 && sample.ratio == 150 && sample.flag && sample.null == nil)
        #expect(sample.map == ["x": ["1"], "y": []])
    }

    @Test(arguments: [
        (#"{"name": "x""#, "unexpected end"),
        (#"{"name": "x"} extra"#, "unexpected text after the document"),
        (#"{"name": "\q"}"#, "invalid escape"),
        (#"{"name": "\ud800x"}"#, #"expected \u"#),
        (String(repeating: "[", count: 100), "nested too deeply"),
    ])
    func refusesBrokenJSON(text: String, message: String) {
        #expect {
            _ = try BuiltinJSONDecoder.decode([String: String].self, from: text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func namesTheMissingKeyAndItsPath() {
        let text = #"{"name": "x", "count": 1, "ratio": 1, "flag": true, "list": [], "map": {}, "nested": [{}]}"#
        #expect {
            _ = try BuiltinJSONDecoder.decode(Sample.self, from: text)
        } throws: { error in
            guard case DecodingError.keyNotFound(let key, let context) = error else { return false }
            return key.stringValue == "name" && context.codingPath.map(\.stringValue) == ["nested", "Index 0"]
        }
    }
}
