#include "supervise/record.h"

#include <gtest/gtest.h>

#include "supervise/json.h"

namespace supervise {
namespace {

TEST(EncodeFileName, KeepsPlainNamesReadable) {
    EXPECT_EQ(encode_file_name("build"), "build");
    EXPECT_EQ(encode_file_name("gpu-0.x_y"), "gpu-0.x_y");
}

TEST(EncodeFileName, NoNameEscapesTheStateDirectory) {
    EXPECT_EQ(encode_file_name(".."), "%2E.");
    EXPECT_EQ(encode_file_name("../../etc"), "%2E.%2F..%2Fetc");  // one component
    EXPECT_EQ(encode_file_name("make:/home/me"), "make%3A%2Fhome%2Fme");
    for (const char* name : {".", "..", "a/b", "/", ".hidden"})
        EXPECT_EQ(encode_file_name(name).find('/'), std::string::npos) << name;
    EXPECT_NE(encode_file_name(".hidden")[0], '.');
}

TEST(EncodeFileName, LongNamesBecomeHashes) {
    std::string name(255, '/');
    auto encoded = encode_file_name(name);
    EXPECT_LE(encoded.size(), 200u);
    EXPECT_EQ(encoded.rfind("h-", 0), 0u);
    EXPECT_NE(encoded, encode_file_name(std::string(254, '/')));
}

TEST(DecodeFileName, GivesBackWhatWasEncoded) {
    for (const char* name : {"build", "..", "make:/home/me", "caf\xc3\xa9 b", "%41"})
        EXPECT_EQ(decode_file_name(encode_file_name(name)), std::string(name)) << name;
    EXPECT_FALSE(decode_file_name(encode_file_name(std::string(255, '/'))));  // hashed
    // text the encoder cannot have made
    for (const char* file_name : {"", "%2", "%zz", "%61", "a%2f", ".x"})
        EXPECT_FALSE(decode_file_name(file_name)) << file_name;
}

TEST(RecordWriter, FieldsReadBackEscaped) {
    std::string text = RecordWriter()
                           .field("command", "make 'x'\nback\\slash")
                           .field("count", 42)
                           .field("seconds", 0.1)
                           .raw("kind", "run")
                           .finish();
    auto fields = record_fields(text);
    ASSERT_TRUE(fields) << text;
    ASSERT_EQ(fields->size(), 6u);  // version, four fields, end
    EXPECT_EQ((*fields)[0], (std::pair<std::string, std::string>{"version", "1"}));
    EXPECT_EQ(unescape_value((*fields)[1].second), "make 'x'\nback\\slash");
    EXPECT_EQ(field_u64((*fields)[2].second), 42u);
    EXPECT_DOUBLE_EQ(field_double((*fields)[3].second), 0.1);
    EXPECT_EQ((*fields)[5], (std::pair<std::string, std::string>{"end", "1"}));
    EXPECT_FALSE(record_fields(text.substr(0, text.size() - 6)));  // without "end=1"
}

TEST(FieldNumbers, WholeValueOrNothing) {
    EXPECT_EQ(field_u64("17"), 17u);
    EXPECT_THROW(field_u64("-1"), std::invalid_argument);
    EXPECT_THROW(field_u64("2xyz"), std::invalid_argument);
    EXPECT_THROW(field_int(""), std::invalid_argument);
}

TEST(JsonText, SpaceAfterColonAndComma) {
    Json json{{"a", 1}, {"b", {true, nullptr}}, {"c", Json::object({{"d", "x\"y"}})}};
    EXPECT_EQ(to_text(json), R"({"a": 1, "b": [true, null], "c": {"d": "x\"y"}})");
    EXPECT_EQ(to_text(Json::array()), "[]");
}

TEST(JsonText, BytesThatAreNotUtf8BecomeReplacementCharacters) {
    std::string text;
    EXPECT_NO_THROW(text = to_text(Json{{"command", "caf\xe9 --x"}}));
    EXPECT_EQ(text, "{\"command\": \"caf\xef\xbf\xbd --x\"}");
    EXPECT_TRUE(Json::accept(text));
}

TEST(RecordLines, KeepWhatAnIncompleteRecordHolds) {
    auto lines = record_lines("since=5\ncommand=make\ngarbage\ncancelled=1\n");
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[2].first, "cancelled");
    EXPECT_FALSE(record_fields("since=5\ncommand=make\n"));  // no version, no end
}

}  // namespace
}  // namespace supervise
