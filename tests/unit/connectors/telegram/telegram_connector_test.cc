#include "connectors/telegram/telegram_connector.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "core/crypto/digest.h"
#include "core/http/error_status.h"

namespace switchboard::connectors::telegram {
namespace {

using std::chrono::system_clock;

// 2024-05-01T12:00:00.250Z
const system_clock::time_point kNow =
    system_clock::time_point(std::chrono::seconds(1714564800)) + std::chrono::milliseconds(250);

// Test-only values; real ones come from configuration.
constexpr std::string_view kSecret = "test-secret_token-42";
constexpr std::string_view kBotId = "7000000001";

std::string testdata(std::string_view name) {
  std::filesystem::path path = std::filesystem::path(SWITCHBOARD_TESTDATA_DIR) / "telegram" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

TelegramSettings settings(std::string bot_id = std::string(kBotId)) {
  TelegramSettings s;
  s.secret_token = std::string(kSecret);
  s.bot_id = std::move(bot_id);
  return s;
}

http::Request webhook(std::string body, std::optional<std::string> secret = std::string(kSecret),
                      std::string content_type = "application/json") {
  http::Request request;
  request.method = "POST";
  request.target = "/v1/telegram/webhook";
  request.path = "/v1/telegram/webhook";
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  if (secret) request.headers.emplace_back("X-Telegram-Bot-Api-Secret-Token", *secret);
  request.body = std::move(body);
  request.remote_address = "149.154.167.220";
  return request;
}

ConnectorResult<NormalizedBatch> normalize(const http::Request& request,
                                           TelegramSettings s = settings()) {
  return TelegramConnector(std::move(s)).normalize(request, kNow);
}

void expectRejected(const ConnectorResult<NormalizedBatch>& result, Errc code,
                    std::string_view reason) {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), code) << result.error().detail();
  EXPECT_EQ(result.error().reason(), reason) << result.error().detail();
  EXPECT_FALSE(result.error().detail().empty());
}

// A notice: answered 200, nothing produced, one notice of `kind` counted and named in the answer.
void expectNotice(const ConnectorResult<NormalizedBatch>& result, std::string_view kind) {
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_TRUE(result->messages.empty());
  ASSERT_EQ(result->notices.size(), 1u);
  EXPECT_EQ(result->notices[0], kind);
  EXPECT_EQ(result->accepted.status, 200);
  boost::json::value body = boost::json::parse(result->accepted.body);
  EXPECT_EQ(body.at("status").as_string(), "ignored");
  EXPECT_EQ(body.at("notice").as_string(), kind);
  EXPECT_FALSE(body.as_object().contains("method"));
}

const v1::InboundMessage& onlyMessage(const ConnectorResult<NormalizedBatch>& result) {
  EXPECT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_EQ(result->messages.size(), 1u);
  return result->messages.at(0);
}

TEST(TelegramConnectorTest, DescribesItself) {
  TelegramConnector connector(settings());
  EXPECT_EQ(connector.name(), "telegram");
  EXPECT_EQ(connector.channel(), v1::CHANNEL_TELEGRAM);
  ASSERT_EQ(connector.routes().size(), 1u);
  EXPECT_EQ(connector.routes()[0].method, "POST");
  EXPECT_EQ(connector.routes()[0].path, "/v1/telegram/webhook");
}

TEST(TelegramConnectorTest, NormalizesTheDocumentedTextMessage) {
  auto result = normalize(webhook(testdata("message_text.json")));
  const v1::InboundMessage& m = onlyMessage(result);

  EXPECT_EQ(m.channel(), v1::CHANNEL_TELEGRAM);
  EXPECT_EQ(m.provider(), "telegram");
  EXPECT_EQ(m.sender().channel(), v1::CHANNEL_TELEGRAM);
  EXPECT_EQ(m.sender().value(), "tg:1111111");
  EXPECT_EQ(m.sender().display_name(), "Test Firstname Test Lastname");
  EXPECT_EQ(m.sender().account_id(), "");
  EXPECT_EQ(m.recipient().channel(), v1::CHANNEL_TELEGRAM);
  EXPECT_EQ(m.recipient().value(), "tg:7000000001");
  EXPECT_EQ(m.recipient().account_id(), "7000000001");
  EXPECT_EQ(m.thread().provider_conversation_id(), "1111111");
  EXPECT_EQ(m.thread().in_reply_to(), "");
  EXPECT_EQ(m.text(), "/start");
  EXPECT_EQ(m.html(), "");
  EXPECT_EQ(m.attachments_size(), 0);
  EXPECT_EQ(m.provider_message_id(), "1111111:1365");
  EXPECT_EQ(m.sent_at().seconds(), 1441645532);
  EXPECT_EQ(m.sent_at().nanos(), 0);
  EXPECT_EQ(m.language(), "");
  ASSERT_EQ(m.attributes_size(), 2);
  EXPECT_EQ(m.attributes().at("chat_type"), "private");
  EXPECT_EQ(m.attributes().at("username"), "Testusername");

  const v1::Envelope& e = m.envelope();
  EXPECT_EQ(e.idempotency_key(), "telegram:7000000001:10000");
  EXPECT_EQ(e.event_id(), "in-" + crypto::sha256Hex("telegram:7000000001:10000").substr(0, 32));
  EXPECT_EQ(e.trace_id().size(), 32u);
  EXPECT_EQ(e.received_at().seconds(), 1714564800);
  EXPECT_EQ(e.received_at().nanos(), 250'000'000);
  EXPECT_EQ(e.created_at().seconds(), 1714564800);
  EXPECT_EQ(e.producer(), "connector/telegram");
  EXPECT_TRUE(e.causation_id().empty());

  EXPECT_TRUE(result->notices.empty());
  EXPECT_EQ(result->accepted.status, 200);
  EXPECT_EQ(result->accepted.content_type, "application/json");
  boost::json::value body = boost::json::parse(result->accepted.body);
  EXPECT_EQ(body.at("status").as_string(), "accepted");
  EXPECT_EQ(body.at("event_id").as_string(), e.event_id());
  EXPECT_EQ(body.at("idempotency_key").as_string(), "telegram:7000000001:10000");
  // A "method" member would make Telegram execute a Bot API call.
  EXPECT_FALSE(body.as_object().contains("method"));
}

TEST(TelegramConnectorTest, WithoutBotIdTheKeyIsTheUpdateIdAndThereIsNoRecipient) {
  auto result = normalize(webhook(testdata("message_text.json")), settings(""));
  const v1::InboundMessage& m = onlyMessage(result);
  EXPECT_FALSE(m.has_recipient());
  EXPECT_EQ(m.envelope().idempotency_key(), "telegram:10000");
  EXPECT_EQ(m.envelope().event_id(), "in-" + crypto::sha256Hex("telegram:10000").substr(0, 32));
}

TEST(TelegramConnectorTest, EventIdsAreDeterministic) {
  std::string body = testdata("message_text.json");
  auto first = normalize(webhook(body));
  auto retry = TelegramConnector(settings()).normalize(webhook(body), kNow + std::chrono::hours(1));
  const v1::Envelope& a = onlyMessage(first).envelope();
  const v1::Envelope& b = onlyMessage(retry).envelope();
  EXPECT_EQ(a.event_id(), b.event_id());
  EXPECT_EQ(a.idempotency_key(), b.idempotency_key());
  EXPECT_NE(a.trace_id(), b.trace_id());  // per request when no traceparent came

  std::string next = body;
  next.replace(next.find("10000"), 5, "10001");
  auto other = normalize(webhook(next));
  EXPECT_NE(onlyMessage(other).envelope().event_id(), a.event_id());
  EXPECT_EQ(onlyMessage(other).envelope().idempotency_key(), "telegram:7000000001:10001");
}

TEST(TelegramConnectorTest, TakesTheTraceIdFromTraceparent) {
  http::Request request = webhook(testdata("message_text.json"));
  request.headers.emplace_back("traceparent",
                               "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto result = normalize(request);
  EXPECT_EQ(onlyMessage(result).envelope().trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(TelegramConnectorTest, RoutesAnEditAsItsOwnEventMarkedEdited) {
  auto original = normalize(webhook(testdata("message_text.json")));
  std::string edit_body = testdata("edited_message.json");
  edit_body.replace(edit_body.find("10000"), 5, "10007");
  auto edit = normalize(webhook(edit_body));
  const v1::InboundMessage& m = onlyMessage(edit);
  EXPECT_EQ(m.text(), "Edited text");
  EXPECT_EQ(m.provider_message_id(), "1111111:1365");  // the message it replaces
  EXPECT_EQ(m.provider_message_id(), onlyMessage(original).provider_message_id());
  EXPECT_EQ(m.sent_at().seconds(), 1441645532);  // the original's date
  EXPECT_EQ(m.attributes().at("edited"), "true");
  EXPECT_EQ(m.attributes().at("edit_date"), "1441646600");
  EXPECT_EQ(m.envelope().idempotency_key(), "telegram:7000000001:10007");
  EXPECT_NE(m.envelope().event_id(), onlyMessage(original).envelope().event_id());
  EXPECT_FALSE(onlyMessage(original).attributes().contains("edited"));
}

TEST(TelegramConnectorTest, AReplyNamesTheMessageItAnswers) {
  auto result = normalize(webhook(testdata("message_reply.json")));
  const v1::InboundMessage& m = onlyMessage(result);
  EXPECT_EQ(m.text(), "/start");
  EXPECT_EQ(m.thread().provider_conversation_id(), "1111111");
  EXPECT_EQ(m.thread().in_reply_to(), "1111111:1334");
}

TEST(TelegramConnectorTest, DescribesVoiceDocumentAndAudioFiles) {
  struct Case {
    const char* file;
    const char* content_type;
    uint64_t size;
    const char* name;
  };
  for (const Case& c : {Case{"message_voice.json", "audio/ogg", 23000, ""},
                        Case{"message_document.json", "application/pdf", 536392, "Testfile.pdf"},
                        Case{"message_audio.json", "audio/mpeg", 3897500, ""}}) {
    SCOPED_TRACE(c.file);
    auto result = normalize(webhook(testdata(c.file)));
    const v1::InboundMessage& m = onlyMessage(result);
    EXPECT_EQ(m.text(), "");
    ASSERT_EQ(m.attachments_size(), 1);
    const v1::Attachment& a = m.attachments(0);
    EXPECT_EQ(a.url(), "tg-file:AwADBAADbXXXXXXXXXXXGBdhD2l6_XX");
    EXPECT_EQ(a.content_type(), c.content_type);
    EXPECT_EQ(a.size_bytes(), c.size);
    EXPECT_EQ(a.name(), c.name);
    EXPECT_EQ(a.sha256(), "");
  }
}

TEST(TelegramConnectorTest, APhotoIsItsLargestSizeAndTheCaptionIsTheText) {
  auto result = normalize(webhook(testdata("message_photo.json")), settings(""));
  const v1::InboundMessage& m = onlyMessage(result);
  EXPECT_EQ(m.text(), "The router shows a red light");
  ASSERT_EQ(m.attachments_size(), 1);
  EXPECT_EQ(m.attachments(0).url(), "tg-file:AgACAgQAAxkBAAIBlarge");
  EXPECT_EQ(m.attachments(0).size_bytes(), 88817u);
  EXPECT_EQ(m.attachments(0).content_type(), "");  // Telegram sends none for photos
  // Only a first name; groups have negative chat ids.
  EXPECT_EQ(m.sender().value(), "tg:1111111");
  EXPECT_EQ(m.sender().display_name(), "Test Firstname");
  EXPECT_EQ(m.provider_message_id(), "-1001234567890:1366");
  EXPECT_EQ(m.thread().provider_conversation_id(), "-1001234567890");
  EXPECT_EQ(m.language(), "pt-BR");
  EXPECT_EQ(m.attributes().at("chat_type"), "supergroup");
  EXPECT_EQ(m.attributes().at("media_group_id"), "13588395017431217");
  EXPECT_FALSE(m.attributes().contains("username"));
  EXPECT_EQ(m.envelope().idempotency_key(), "telegram:10001");
}

TEST(TelegramConnectorTest, AnAnimationIsNotAlsoCountedAsItsDocument) {
  auto result = normalize(webhook(R"({"update_id":5,"message":{"message_id":1,"date":1,
      "from":{"id":9,"first_name":"A"},"chat":{"id":9,"type":"private"},
      "animation":{"file_id":"CgAnim","mime_type":"video/mp4","file_size":1000},
      "document":{"file_id":"CgAnim","mime_type":"video/mp4","file_size":1000}}})"));
  const v1::InboundMessage& m = onlyMessage(result);
  ASSERT_EQ(m.attachments_size(), 1);
  EXPECT_EQ(m.attachments(0).url(), "tg-file:CgAnim");
}

TEST(TelegramConnectorTest, DisplayNameFallsBackToUsername) {
  auto result = normalize(webhook(R"({"update_id":5,"message":{"message_id":1,"date":1,
      "from":{"id":9,"username":"ana_l"},"chat":{"id":9},"text":"hi"}})"));
  const v1::InboundMessage& m = onlyMessage(result);
  EXPECT_EQ(m.sender().display_name(), "ana_l");
  EXPECT_FALSE(m.attributes().contains("chat_type"));
}

TEST(TelegramConnectorTest, OtherUpdateKindsAreNotices) {
  expectNotice(normalize(webhook(testdata("callback_query.json"))), "callback_query");
  expectNotice(normalize(webhook(testdata("inline_query.json"))), "inline_query");
  expectNotice(normalize(webhook(testdata("channel_post.json"))), "channel_post");
  expectNotice(normalize(webhook(R"({"update_id":7,"my_chat_member":{"chat":{"id":1}}})")),
               "my_chat_member");
  expectNotice(normalize(webhook(R"({"update_id":7,"edited_channel_post":{"message_id":1}})")),
               "edited_channel_post");
  // Kinds newer than this code, and an update with nothing in it, are still answered 200.
  expectNotice(normalize(webhook(R"({"update_id":7,"future_thing":{"id":1}})")), "unsupported");
  expectNotice(normalize(webhook(R"({"update_id":7})")), "unsupported");
}

TEST(TelegramConnectorTest, MessagesFromBotsAreNotices) {
  expectNotice(normalize(webhook(testdata("bot_message.json"))), "bot");
}

TEST(TelegramConnectorTest, MessagesWithoutTextOrFilesAreNotices) {
  expectNotice(normalize(webhook(R"({"update_id":8,"message":{"message_id":2,"date":1,
      "from":{"id":9,"first_name":"A"},"chat":{"id":9,"type":"private"},
      "location":{"latitude":38.7,"longitude":-9.1}}})")),
               "unsupported");
  expectNotice(normalize(webhook(R"({"update_id":8,"message":{"message_id":2,"date":1,
      "from":{"id":9,"first_name":"A"},"chat":{"id":-5,"type":"group"},
      "new_chat_members":[{"id":10,"is_bot":false,"first_name":"B"}]}})")),
               "unsupported");
}

TEST(TelegramConnectorTest, RefusesAMissingSecret) {
  auto result = normalize(webhook(testdata("message_text.json"), std::nullopt));
  expectRejected(result, Errc::kUnauthenticated, "missing_signature");
  EXPECT_EQ(http::httpStatusFor(result.error().code()), 401);
  expectRejected(normalize(webhook(testdata("message_text.json"), "")), Errc::kUnauthenticated,
                 "missing_signature");
}

TEST(TelegramConnectorTest, RefusesAWrongSecret) {
  auto result = normalize(webhook(testdata("message_text.json"), "test-secret_token-43"));
  expectRejected(result, Errc::kForbidden, "bad_signature");
  EXPECT_EQ(http::httpStatusFor(result.error().code()), 403);
  // A prefix of the secret, or the secret with more after it, is no better.
  expectRejected(normalize(webhook(testdata("message_text.json"), "test-secret")), Errc::kForbidden,
                 "bad_signature");
  expectRejected(normalize(webhook(testdata("message_text.json"), std::string(kSecret) + "x")),
                 Errc::kForbidden, "bad_signature");
}

TEST(TelegramConnectorTest, ChecksTheSecretBeforeLookingAtTheBody) {
  expectRejected(normalize(webhook("not json", "wrong", "text/plain")), Errc::kForbidden,
                 "bad_signature");
}

TEST(TelegramConnectorTest, RefusesBadRequests) {
  expectRejected(normalize(webhook(testdata("message_text.json"), std::string(kSecret),
                                   "application/x-www-form-urlencoded")),
                 Errc::kUnsupportedMediaType, "wrong_content_type");
  TelegramSettings small = settings();
  small.max_body_bytes = 64;
  expectRejected(normalize(webhook(testdata("message_text.json")), small), Errc::kTooLarge,
                 "body_too_large");
  expectRejected(normalize(webhook("{\"update_id\":")), Errc::kMalformedInput, "malformed_json");
  expectRejected(normalize(webhook("[1,2]")), Errc::kMalformedInput, "malformed_json");
}

// {"update_id":1,"message":{<fields>}}
std::string messageUpdate(std::string_view fields) {
  return R"({"update_id":1,"message":{)" + std::string(fields) + "}}";
}

TEST(TelegramConnectorTest, RefusesMissingAndMistypedFields) {
  struct Case {
    std::string body;
    Errc code;
    const char* reason;
    const char* detail;
  };
  const std::string ok = R"("message_id":1,"date":1,"from":{"id":9},"chat":{"id":9})";
  for (const Case& c : {
           Case{R"({"message":{"message_id":1}})", Errc::kMissingField, "missing_field",
                "update_id is required"},
           Case{R"({"update_id":"10000","message":{}})", Errc::kMalformedInput, "invalid_field",
                "update_id must be an integer"},
           Case{R"({"update_id":1.5,"message":{}})", Errc::kMalformedInput, "invalid_field",
                "update_id must be an integer"},
           Case{R"({"update_id":1,"message":"hi"})", Errc::kMalformedInput, "invalid_field",
                "message must be an object"},
           Case{messageUpdate(R"("message_id":1,"date":1,"chat":{"id":9},"text":"x")"),
                Errc::kMissingField, "missing_field", "message.from is required"},
           Case{messageUpdate(R"("message_id":1,"date":1,"from":{"id":"9"},"chat":{"id":9})"),
                Errc::kMalformedInput, "invalid_field", "message.from.id must be an integer"},
           Case{messageUpdate(R"("message_id":1,"from":{"id":9,"is_bot":"no"},"chat":{"id":9})"),
                Errc::kMalformedInput, "invalid_field", "message.from.is_bot must be a boolean"},
           Case{messageUpdate(R"("message_id":1,"date":1,"from":{"id":9},"text":"x")"),
                Errc::kMissingField, "missing_field", "message.chat is required"},
           Case{messageUpdate(R"("date":1,"from":{"id":9},"chat":{"id":9},"text":"x")"),
                Errc::kMissingField, "missing_field", "message.message_id is required"},
           Case{messageUpdate(R"("message_id":1,"from":{"id":9},"chat":{"id":9},"text":"x")"),
                Errc::kMissingField, "missing_field", "message.date is required"},
           Case{messageUpdate(ok + R"(,"text":7)"), Errc::kMalformedInput, "invalid_field",
                "message.text must be a string"},
           Case{messageUpdate(ok + R"(,"document":{"file_size":3})"), Errc::kMissingField,
                "missing_field", "message.document.file_id is required"},
           Case{messageUpdate(ok + R"(,"photo":{"file_id":"x"})"), Errc::kMalformedInput,
                "invalid_field", "message.photo must be an array"},
           Case{R"({"update_id":1,"edited_message":{"message_id":1,"from":{"id":9},)"
                R"("chat":{"id":true},"date":1,"text":"x"}})",
                Errc::kMalformedInput, "invalid_field",
                "edited_message.chat.id must be an integer"},
       }) {
    SCOPED_TRACE(c.body);
    auto result = normalize(webhook(c.body));
    expectRejected(result, c.code, c.reason);
    // The detail names the field, so a dead letter says what to fix.
    if (!result.has_value()) {
      EXPECT_EQ(result.error().detail(), c.detail);
    }
  }
}

TEST(TelegramConnectorTest, ValidatesSettings) {
  EXPECT_TRUE(validateTelegramSettings(settings()).has_value());
  TelegramSettings s = settings();
  s.secret_token = "has space";
  EXPECT_EQ(validateTelegramSettings(s).error().code(), Errc::kConfig);
  s.secret_token = std::string(257, 'a');
  EXPECT_EQ(validateTelegramSettings(s).error().code(), Errc::kConfig);
  s.secret_token = std::string(256, 'a');
  EXPECT_TRUE(validateTelegramSettings(s).has_value());
  s.bot_id = "7000000001:AAH";  // the whole bot token, by mistake
  EXPECT_EQ(validateTelegramSettings(s).error().code(), Errc::kConfig);
}

TEST(TelegramConnectorTest, RegistersOnlyWhenASecretIsConfigured) {
  ConnectorRegistry registry;
  ASSERT_TRUE(registerTelegramConnector(registry, TelegramSettings{}).has_value());
  EXPECT_TRUE(registry.empty());

  TelegramSettings bad = settings();
  bad.secret_token = "no/slashes";
  auto status = registerTelegramConnector(registry, bad);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), Errc::kConfig);
  EXPECT_TRUE(registry.empty());

  ASSERT_TRUE(registerTelegramConnector(registry, settings()).has_value());
  ASSERT_NE(registry.find("telegram"), nullptr);
  EXPECT_EQ(registry.find("telegram")->routes()[0].path, "/v1/telegram/webhook");
  EXPECT_EQ(registerTelegramConnector(registry, settings()).error().code(), Errc::kConfig);
}

}  // namespace
}  // namespace switchboard::connectors::telegram
