// Wire protocol v1: encoding round trips and strict decoding of untrusted input.
#include <gtest/gtest.h>

#include <set>

#include "protocol/event.h"
#include "protocol/evidence_frame.h"
#include "protocol/ids.h"
#include "protocol/limits.h"
#include "protocol/messages.h"
#include "protocol/topics.h"
#include "protocol/utf8.h"

namespace gridsight::protocol {
namespace {

Event sample_event() {
  Event e;
  e.event_id = new_event_id(1'764'000'000'000);
  e.device_id = "edge-01";
  e.camera_id = "34020000001320000001";  // GB/T 28181 device code
  e.seq = 42;
  e.type = "zone.intrusion";
  e.start_ms = 1'764'000'000'000;
  e.end_ms = 1'764'000'005'000;
  e.clock_synced = true;
  e.confidence = 0.87;
  e.zone = "gate";
  e.boxes.push_back({0.1, 0.2, 0.3, 0.4, "person", 0.9, 7});
  e.location = GeoPoint{120.155, 30.274, Crs::kGcj02};
  e.evidence.push_back({content_hash("jpeg bytes"), 10, "image/jpeg", "snapshot"});
  e.attributes["detector"] = "mog2";
  return e;
}

// Replaces `from` by `to` in the encoded sample, for malformed variants.
std::string mutate(const std::string& from, const std::string& to) {
  std::string s = encode(sample_event());
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

TEST(EventId, IsTimeSortableUuidV7) {
  std::string prev;
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    std::string id = new_event_id(1'764'000'000'000 + i / 1000);
    ASSERT_TRUE(is_event_id(id)) << id;
    ASSERT_GT(id, prev) << "ids minted in order must sort in order";
    ASSERT_TRUE(seen.insert(id).second);
    prev = id;
  }
  EXPECT_EQ(event_id_time_ms(new_event_id(1'764'000'123'456)), 1'764'000'123'456);
  EXPECT_FALSE(is_event_id("0190a0b0-c0d0-4000-8000-000000000000"));  // version 4
}

TEST(EventId, StaysIncreasingWhenTheClockStepsBack) {
  std::string a = new_event_id(1'764'000'100'000);
  std::string b = new_event_id(1'764'000'000'000);
  EXPECT_GT(b, a);
}

TEST(Ids, DeviceCameraAndHash) {
  EXPECT_TRUE(is_device_id("edge-01.north_gate"));
  EXPECT_FALSE(is_device_id("edge/01"));
  EXPECT_FALSE(is_device_id("edge+"));
  EXPECT_FALSE(is_device_id(""));
  EXPECT_FALSE(is_device_id(std::string(65, 'a')));
  EXPECT_TRUE(is_gb28181_code("34020000001320000001"));
  EXPECT_FALSE(is_gb28181_code("3402000000132000000"));
  EXPECT_TRUE(is_camera_id("34020000001320000001"));
  EXPECT_EQ(content_hash("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Event, RoundTrips) {
  Event e = sample_event();
  auto d = decode_event(encode(e));
  ASSERT_TRUE(d) << d.error.describe();
  EXPECT_EQ(*d.value, e);
}

TEST(Event, MinimalEventRoundTrips) {
  Event e = sample_event();
  e.end_ms.reset();
  e.boxes.clear();
  e.location.reset();
  e.evidence.clear();
  e.attributes.clear();
  e.zone.clear();
  auto d = decode_event(encode(e));
  ASSERT_TRUE(d) << d.error.describe();
  EXPECT_EQ(*d.value, e);
}

struct Bad {
  std::string name;
  std::string payload;
  ErrorCode code;
  std::string field;
};

class MalformedEvent : public ::testing::TestWithParam<Bad> {};

TEST_P(MalformedEvent, IsRefusedNamingTheField) {
  const Bad& b = GetParam();
  auto d = decode_event(b.payload);
  ASSERT_FALSE(d) << b.name;
  EXPECT_EQ(d.error.code, b.code) << b.name << ": " << d.error.describe();
  EXPECT_EQ(d.error.field, b.field) << b.name << ": " << d.error.describe();
  // Stored in a text column and sent back in the ack: valid UTF-8 whatever the payload held.
  EXPECT_EQ(valid_utf8(d.error.reason), d.error.reason) << b.name;
}

TEST(Utf8, InvalidBytesAreEscapedAndTruncationKeepsCharacters) {
  EXPECT_EQ(valid_utf8("plain"), "plain");
  EXPECT_EQ(valid_utf8("gr\xC3\xBC\xC3\x9F"), "gr\xC3\xBC\xC3\x9F");  // kept as it is
  EXPECT_EQ(valid_utf8("a\xFF\xFE"
                       "b"),
            "a\\xFF\\xFEb");
  EXPECT_EQ(valid_utf8("\xC3\x28"), "\\xC3(");               // a lead byte without continuation
  EXPECT_EQ(valid_utf8("\xC0\xAF"), "\\xC0\\xAF");           // overlong '/'
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), "\\xED\\xA0\\x80");  // a surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(valid_utf8("\xE2\x82"), "\\xE2\\x82");                    // truncated
  EXPECT_EQ(valid_utf8("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");      // U+1F600
  EXPECT_EQ(valid_utf8("ab\xC3\xBC", 3), "ab");                       // never half a character
  EXPECT_EQ(valid_utf8("a\xFF", 4), "a");                             // never half an escape
}

INSTANTIATE_TEST_SUITE_P(
    Protocol, MalformedEvent,
    ::testing::Values(
        Bad{"not_json", "{not json", ErrorCode::kInvalidJson, ""},
        Bad{"array", "[1,2]", ErrorCode::kWrongType, ""},
        Bad{"no_schema", R"({"event_id":"x"})", ErrorCode::kMissingField, "schema"},
        Bad{"newer_major", mutate("\"schema\":\"1.0\"", "\"schema\":\"2.0\""),
            ErrorCode::kUnsupportedVersion, "schema"},
        Bad{"bad_schema", mutate("\"schema\":\"1.0\"", "\"schema\":\"one\""),
            ErrorCode::kInvalidValue, "schema"},
        Bad{"seq_string", mutate("\"seq\":42", "\"seq\":\"42\""), ErrorCode::kWrongType, "seq"},
        Bad{"seq_negative", mutate("\"seq\":42", "\"seq\":-1"), ErrorCode::kOutOfRange, "seq"},
        Bad{"seq_zero", mutate("\"seq\":42", "\"seq\":0"), ErrorCode::kOutOfRange, "seq"},
        Bad{"missing_type", mutate("\"type\":\"zone.intrusion\",", ""), ErrorCode::kMissingField,
            "type"},
        Bad{"bad_type", mutate("zone.intrusion", "Zone Intrusion"), ErrorCode::kInvalidValue,
            "type"},
        Bad{"confidence_range", mutate("\"confidence\":0.87", "\"confidence\":1.5"),
            ErrorCode::kOutOfRange, "confidence"},
        Bad{"box_outside", mutate("\"w\":0.3", "\"w\":0.95"), ErrorCode::kOutOfRange, "boxes[0]"},
        Bad{"box_type", mutate("\"x\":0.1", "\"x\":\"left\""), ErrorCode::kWrongType,
            "boxes[0].x"},
        Bad{"crs", mutate("GCJ02", "BD09"), ErrorCode::kInvalidValue, "location.crs"},
        Bad{"lat", mutate("\"lat\":30.274", "\"lat\":91"), ErrorCode::kOutOfRange, "location.lat"},
        Bad{"hash", mutate("sha256:", "md5:"), ErrorCode::kInvalidValue, "evidence[0].hash"},
        Bad{"unknown_field", mutate("\"seq\":42", "\"seq\":42,\"colour\":\"red\""),
            ErrorCode::kUnknownField, "colour"},
        Bad{"end_before_start", mutate("1764000005000", "1763999999999"),
            ErrorCode::kOutOfRange, "end_ms"},
        Bad{"device_slash", mutate("edge-01", "edge/01"), ErrorCode::kInvalidValue, "device_id"},
        Bad{"invalid_utf8", mutate("mog2", "mo\xff\xfe"), ErrorCode::kInvalidJson, ""},
        Bad{"too_deep", mutate("\"mog2\"", "[[[[[[[[[[1]]]]]]]]]]"), ErrorCode::kTooDeep, ""},
        Bad{"too_large", mutate("mog2", std::string(kMaxEventBytes, 'x')), ErrorCode::kTooLarge,
            ""}),
    [](const auto& p) { return p.param.name; });

TEST(Event, RefusalStillNamesTheEventForTheAck) {
  std::string payload = mutate("\"confidence\":0.87", "\"confidence\":7");
  auto d = decode_event(payload);
  ASSERT_FALSE(d);
  EXPECT_FALSE(d.error.event_id.empty());
  EXPECT_NE(payload.find(d.error.event_id), std::string::npos);
  ASSERT_TRUE(d.error.seq.has_value());
  EXPECT_EQ(*d.error.seq, 42u);
}

TEST(Event, NewerMinorVersionMayAddFields) {
  auto d = decode_event(mutate("\"schema\":\"1.0\"", "\"schema\":\"1.7\",\"future\":{\"a\":1}"));
  ASSERT_TRUE(d) << d.error.describe();
  EXPECT_EQ(d.value->seq, 42u);
}

// Schema 1.1: incident updates. Stamped 1.1 only when they use its fields.
TEST(Event, IncidentUpdateRoundTripsAsSchema11) {
  Event first = sample_event();
  EXPECT_NE(encode(first).find("\"schema\":\"1.0\""), std::string::npos);
  Event u = first;
  u.event_id = new_event_id(1'764'000'100'000);
  u.update_of = first.event_id;
  u.update = kUpdateEnded;
  const std::string text = encode(u);
  EXPECT_NE(text.find("\"schema\":\"1.1\""), std::string::npos) << text;
  auto d = decode_event(text);
  ASSERT_TRUE(d) << d.error.describe();
  EXPECT_EQ(*d.value, u);
  EXPECT_TRUE(d.value->is_update());
  // Refusals: an update needs the event it updates, a known kind, and its end when ended.
  Event bad = u;
  bad.update = "maybe";
  EXPECT_EQ(validate(bad)->field, "update");
  bad = u;
  bad.end_ms.reset();
  EXPECT_EQ(validate(bad)->field, "end_ms");
  bad = u;
  bad.update_of = bad.event_id;
  EXPECT_EQ(validate(bad)->field, "update_of");
  bad = first;
  bad.update = kUpdateEvidence;
  EXPECT_EQ(validate(bad)->field, "update_of");
  // In a 1.0 message the fields are unknown.
  std::string old = text;
  old.replace(old.find("\"1.1\""), 5, "\"1.0\"");
  auto refused = decode_event(old);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error.code, ErrorCode::kUnknownField);
}

TEST(Event, ValidateMatchesDecode) {
  Event e = sample_event();
  EXPECT_FALSE(validate(e).has_value());
  e.confidence = 2;
  auto err = validate(e);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->field, "confidence");
}

TEST(Ack, RoundTrips) {
  Ack a;
  a.events.push_back({new_event_id(), 3, AckStatus::kStored, ""});
  a.events.push_back({new_event_id(), 4, AckStatus::kDeadLetter, "confidence: out of range"});
  a.notices.push_back({9});
  a.evidence.push_back({content_hash("x"), 65536, false, false, ""});
  a.evidence.push_back({content_hash("y"), 0, false, true, "quota"});
  auto d = decode_ack(encode(a));
  ASSERT_TRUE(d) << d.error.describe();
  EXPECT_EQ(*d.value, a);
  EXPECT_FALSE(decode_ack(R"({"schema":"1.0","events":[{"event_id":"x","seq":1,"status":"maybe"}]})"));
}

TEST(Notice, RoundTripsAndChecksTheRange) {
  EvictionNotice n{5, "edge-01", 10, 20, 11, "outbox_full_events", 1'764'000'000'000};
  auto d = decode_notice(encode(n));
  ASSERT_TRUE(d) << d.error.describe();
  EXPECT_EQ(*d.value, n);
  n.count = 12;
  auto bad = decode_notice(encode(n));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error.field, "count");
}

TEST(State, RoundTrips) {
  DeviceState s{"edge-01", true, "", "0.1.0", "sess", 1'764'000'000'000, true};
  auto d = decode_state(encode(s));
  ASSERT_TRUE(d) << d.error.describe();
  EXPECT_EQ(*d.value, s);
}

TEST(Command, RoundTrips) {
  Command c{"cmd-1", "snapshot", R"({"camera":"cam-1"})", 1'764'000'000'000, 0};
  auto d = decode_command(encode(c));
  ASSERT_TRUE(d) << d.error.describe();
  EXPECT_EQ(*d.value, c);
  CommandResult r{"cmd-1", CommandStatus::kRefused, "unknown command", "{}", 1'764'000'000'001};
  auto dr = decode_command_result(encode(r));
  ASSERT_TRUE(dr) << dr.error.describe();
  EXPECT_EQ(*dr.value, r);
}

TEST(EvidenceFrame, RoundTripsBinaryData) {
  std::string data("\x00\x01\xff binary \x00", 12);
  EvidenceChunkHeader h{content_hash("whole"), new_event_id(), "video/mp4", 100, 40};
  std::string frame = encode_evidence_chunk(h, data);
  auto d = decode_evidence_chunk(frame);
  ASSERT_TRUE(d) << d.error.describe();
  EXPECT_EQ(d.value->header, h);
  EXPECT_EQ(d.value->data, data);
}

TEST(EvidenceFrame, RefusesChunksPastTheObject) {
  EvidenceChunkHeader h{content_hash("whole"), new_event_id(), "video/mp4", 10, 5};
  EXPECT_FALSE(decode_evidence_chunk(encode_evidence_chunk(h, "123456")));
  EXPECT_FALSE(decode_evidence_chunk("\xff\xff"));
  EXPECT_FALSE(decode_evidence_chunk(std::string("\x00\x00\x10\x00", 4) + "{}"));
}

TEST(Topics, BuildAndParse) {
  Topics t("gridsight");
  EXPECT_EQ(t.device("edge-01", TopicKind::kEvents), "gridsight/v1/edge-01/events");
  EXPECT_EQ(t.device("edge-01", TopicKind::kCommandResult), "gridsight/v1/edge-01/cmd/result");
  EXPECT_EQ(t.all_devices(TopicKind::kState), "gridsight/v1/+/state");
  auto p = t.parse("gridsight/v1/edge-01/cmd/result");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->device_id, "edge-01");
  EXPECT_EQ(p->kind, TopicKind::kCommandResult);
  EXPECT_FALSE(t.parse("gridsight/v2/edge-01/events"));
  EXPECT_FALSE(t.parse("gridsight/v1/edge-01/other"));
  EXPECT_FALSE(t.parse("gridsight/v1/edge+01/events"));
}

}  // namespace
}  // namespace gridsight::protocol
