#include "connectors/email/email_normalizer.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <gtest/gtest.h>

#include "core/crypto/digest.h"
#include "tests/unit/connectors/email/email_testdata.h"

namespace switchboard::connectors::email {
namespace {

using testing::emailTestdata;

// 2024-05-10T12:00:00.250Z
const std::chrono::system_clock::time_point kNow =
    std::chrono::system_clock::time_point(std::chrono::seconds(1715342400)) +
    std::chrono::milliseconds(250);

EmailEnvelope smtpEnvelope() {
  EmailEnvelope envelope;
  envelope.provider = "smtp";
  return envelope;
}

v1::InboundMessage normalizeGolden(std::string_view name, EmailLimits limits = {},
                                   EmailEnvelope envelope = smtpEnvelope()) {
  ConnectorResult<v1::InboundMessage> result =
      normalizeRawEmail(emailTestdata(name), envelope, limits, kNow);
  EXPECT_TRUE(result.has_value()) << name << ": " << result.error().detail();
  if (!result.has_value()) return {};
  // Whatever it holds must encode: protobuf refuses strings that are not UTF-8.
  std::string wire;
  EXPECT_TRUE(result->SerializeToString(&wire)) << name;
  return *result;
}

std::string attribute(const v1::InboundMessage& m, const std::string& key) {
  auto it = m.attributes().find(key);
  return it == m.attributes().end() ? std::string("<absent>") : it->second;
}

void expectRejected(std::string_view raw, Errc code, std::string_view reason,
                    std::string_view detail, EmailLimits limits = {}) {
  ConnectorResult<v1::InboundMessage> result = normalizeRawEmail(raw, smtpEnvelope(), limits, kNow);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), code);
  EXPECT_EQ(result.error().reason(), reason);
  EXPECT_EQ(result.error().detail(), detail);
}

TEST(EmailNormalizerTest, GmailReplyPrefersPlainTextAndSplitsTheQuote) {
  v1::InboundMessage m = normalizeGolden("gmail_reply_alternative.eml");
  EXPECT_EQ(m.channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(m.provider(), "smtp");
  EXPECT_EQ(m.sender().channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(m.sender().value(), "ana.lima@example.org");
  EXPECT_EQ(m.sender().display_name(), "Ana Lima");
  EXPECT_EQ(m.sender().account_id(), "support@example.com");
  EXPECT_EQ(m.recipient().value(), "support@example.com");
  EXPECT_EQ(m.recipient().display_name(), "Switchboard Support");
  EXPECT_EQ(m.recipient().account_id(), "support@example.com");
  EXPECT_EQ(attribute(m, "reply_to"), "ana.personal@example.net");
  // Quoted-printable undone, soft line break ("wr=\n") and "=E2=80=94" included.
  EXPECT_EQ(m.text(),
            "Hi team,\n\nThanks \u2014 the replacement arrived today, but it is the wrong size (M "
            "instead of L).\nCould you send an L? Order #4411.\n\nAna");
  EXPECT_EQ(m.quoted_history(),
            "On Mon, May 6, 2024 at 10:00 AM Switchboard Support <support@example.com>\nwrote:\n\n"
            "> Hello Ana,\n>\n> We shipped a replacement today.\n>\n> Best,\n> Support");
  EXPECT_NE(m.html().find("<div class=\"gmail_quote\">"), std::string::npos) << m.html();
  EXPECT_EQ(m.thread().message_id(), "CAF+gmail-3@mail.gmail.com");
  EXPECT_EQ(m.provider_message_id(), "CAF+gmail-3@mail.gmail.com");
  EXPECT_EQ(m.thread().in_reply_to(), "reply-2@example.com");
  ASSERT_EQ(m.thread().references_size(), 2);
  EXPECT_EQ(m.thread().references(0), "CAF=root-1@mail.gmail.com");
  EXPECT_EQ(m.thread().references(1), "reply-2@example.com");
  EXPECT_EQ(m.thread().subject(), "Re: Your replacement order");
  EXPECT_EQ(m.sent_at().seconds(), 1715066142);  // Tue, 7 May 2024 09:15:42 +0200
  EXPECT_EQ(m.attachments_size(), 0);

  const v1::Envelope& envelope = m.envelope();
  EXPECT_EQ(envelope.idempotency_key(), "email:CAF+gmail-3@mail.gmail.com");
  EXPECT_EQ(envelope.event_id(), crypto::derivedId("in-", "email:CAF+gmail-3@mail.gmail.com", 32));
  EXPECT_EQ(envelope.event_id().size(), 35u);
  EXPECT_EQ(envelope.producer(), "connector/email");
  EXPECT_EQ(envelope.trace_id().size(), 32u);
  EXPECT_EQ(envelope.received_at().seconds(), 1715342400);
  EXPECT_EQ(envelope.received_at().nanos(), 250000000);
}

TEST(EmailNormalizerTest, OutlookReplyInWindows1252) {
  v1::InboundMessage m = normalizeGolden("outlook_original_message.eml");
  EXPECT_EQ(m.sender().value(), "j.weiss@example.de");
  EXPECT_EQ(m.sender().display_name(), "J\u00fcrgen Wei\u00df");
  EXPECT_EQ(m.recipient().value(), "billing@example.com");
  EXPECT_EQ(m.thread().subject(), "RE: Invoice 2024-117 \u2013 \u20ac120");
  EXPECT_EQ(m.text(),
            "Hello,\n\nThe invoice says \u201c\u20ac120\u201d but we agreed on \u20ac100 \u2013 "
            "please correct it.\n\nRegards,\nJ\u00fcrgen Wei\u00df");
  EXPECT_EQ(m.quoted_history(),
            "-----Original Message-----\nFrom: Switchboard Billing <billing@example.com>\n"
            "Sent: Monday, May 6, 2024 4:12 PM\nTo: J\u00fcrgen Wei\u00df <j.weiss@example.de>\n"
            "Subject: Invoice 2024-117\n\nDear customer, please find your invoice attached.");
  EXPECT_EQ(m.thread().in_reply_to(), "invoice-2024-117@example.com");
  EXPECT_EQ(m.thread().references_size(), 0);
  EXPECT_EQ(attribute(m, "reply_to"), "<absent>");
}

TEST(EmailNormalizerTest, AppleMailReplyWithQuotedLines) {
  v1::InboundMessage m = normalizeGolden("apple_mail_reply.eml");
  EXPECT_EQ(m.sender().value(), "mei.chen@example.com");
  EXPECT_EQ(m.text(),
            "I tried again and the link still says it expired.\nCan you reset it manually?\n\nMei");
  EXPECT_EQ(m.quoted_history(),
            "> On 8 May 2024, at 17:02, Help Desk <help@example.com> wrote:\n> \n> Hi Mei,\n> \n"
            "> Please use the link below to reset your password.\n>");
  EXPECT_EQ(m.thread().message_id(), "5D2E1C44-8F7B-4C1A-9E33-0A1B2C3D4E5F@example.com");
  EXPECT_EQ(m.thread().in_reply_to(), "ticket-8812@example.com");
}

struct CharsetCase {
  const char* file;
  const char* subject;
  const char* text;
};

class EmailNormalizerCharsetTest : public ::testing::TestWithParam<CharsetCase> {};

TEST_P(EmailNormalizerCharsetTest, BodyAndEncodedWordSubjectBecomeUtf8) {
  v1::InboundMessage m = normalizeGolden(GetParam().file);
  EXPECT_EQ(m.thread().subject(), GetParam().subject);
  EXPECT_EQ(m.text(), GetParam().text);
  EXPECT_EQ(m.sender().value(), "customer@example.jp");
}

INSTANTIATE_TEST_SUITE_P(
    SixCharsets, EmailNormalizerCharsetTest,
    ::testing::Values(CharsetCase{"charset_utf8.eml", "Ol\u00e1, preciso de ajuda \U0001F64F",
                                  "Meu pedido chegou danificado. Poderiam trocar?"},
                      CharsetCase{
                          "charset_iso_8859_1.eml", "Gr\u00fc\u00dfe aus M\u00fcnchen",
                          "Gr\u00fc\u00dfe aus M\u00fcnchen, \u00e7a va? Der Artikel ist leider "
                          "besch\u00e4digt."},
                      CharsetCase{"charset_windows_1252.eml", "\u201cRefund\u201d \u2013 \u20ac45",
                                  "I was charged \u20ac45 twice \u2013 see \u201cOrder 77\u201d."},
                      CharsetCase{"charset_euc_kr.eml", "배송 문의",
                                  "안녕하세요. 주문한 상품이 아직 도착하지 않았습니다."},
                      CharsetCase{"charset_iso_2022_jp.eml", "注文について",
                                  "お世話になっております。注文の件でご連絡しました。"},
                      CharsetCase{"charset_shift_jis.eml", "返品の依頼",
                                  "返品をお願いします。商品番号はＡ１２です。"}),
    [](const ::testing::TestParamInfo<CharsetCase>& info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find('.'));
      for (char& c : name) {
        if (c == '-' || c == '.') c = '_';
      }
      return name;
    });

TEST(EmailNormalizerTest, AttachmentsAreDescribedNotCarried) {
  v1::InboundMessage m = normalizeGolden("attachments_inline_image.eml");
  EXPECT_EQ(m.text(), "The hinge broke after two days, see the photo.");
  EXPECT_EQ(m.html(),
            "<p>The hinge broke after two days, see the photo.</p><img "
            "src=\"cid:photo-1@example.de\">");
  ASSERT_EQ(m.attachments_size(), 2);
  // The inline image of multipart/related (Content-ID, disposition inline) is described too.
  EXPECT_EQ(m.attachments(0).name(), "hinge.png");
  EXPECT_EQ(m.attachments(0).content_type(), "image/png");
  EXPECT_EQ(m.attachments(0).size_bytes(), 66u);
  EXPECT_EQ(m.attachments(0).sha256(),
            "62d7693d527ce6e5cf4a4f54478b889fe3e01a144d09a0a0482ca512d4225b3a");
  // RFC 2231 file name in UTF-8.
  EXPECT_EQ(m.attachments(1).name(), "Rechnung M\u00e4rz.pdf");
  EXPECT_EQ(m.attachments(1).content_type(), "application/pdf");
  EXPECT_EQ(m.attachments(1).size_bytes(), 77u);
  EXPECT_EQ(m.attachments(1).sha256(),
            "56c2ac043c28d3543275a6f50b593a6beb0b6888ed8159ac02e3e7f4a32ccb26");
  EXPECT_TRUE(m.attachments(1).url().empty());
  EXPECT_EQ(attribute(m, "attachments_omitted"), "<absent>");
}

TEST(EmailNormalizerTest, AttachmentCapsCountAndSkipHashing) {
  EmailLimits limits;
  limits.max_attachments = 1;
  limits.max_hashed_attachment_bytes = 70;
  v1::InboundMessage m = normalizeGolden("attachments_inline_image.eml", limits);
  ASSERT_EQ(m.attachments_size(), 1);
  EXPECT_EQ(m.attachments(0).name(), "hinge.png");
  EXPECT_EQ(m.attachments(0).sha256().size(), 64u);  // 66 bytes: under the hashing cap
  EXPECT_EQ(attribute(m, "attachments_omitted"), "1");

  limits.max_attachments = 5;
  limits.max_hashed_attachment_bytes = 10;
  m = normalizeGolden("attachments_inline_image.eml", limits);
  ASSERT_EQ(m.attachments_size(), 2);
  EXPECT_EQ(m.attachments(1).size_bytes(), 77u);
  EXPECT_TRUE(m.attachments(1).sha256().empty());
}

TEST(EmailNormalizerTest, ForwardedMessageIsOneAttachment) {
  v1::InboundMessage m = normalizeGolden("forwarded_rfc822.eml");
  EXPECT_EQ(m.text(), "Please see the forwarded message below. Is this right?");
  EXPECT_EQ(m.quoted_history(), "");
  ASSERT_EQ(m.attachments_size(), 1);
  EXPECT_EQ(m.attachments(0).name(), "Order 4411 delayed.eml");
  EXPECT_EQ(m.attachments(0).content_type(), "message/rfc822");
  const std::string inner =
      "From: Carrier <noreply@carrier.example>\nTo: Paula <paula@example.com>\n"
      "Subject: Order 4411 delayed\nDate: Thu, 9 May 2024 12:00:00 +0000\n"
      "Message-ID: <carrier-77@carrier.example>\n\nYour parcel is delayed by two days.\n";
  EXPECT_EQ(m.attachments(0).size_bytes(), inner.size());
  EXPECT_EQ(m.attachments(0).sha256(), crypto::sha256Hex(inner));
  // The forwarded mail's headers do not leak into the outer message's.
  EXPECT_EQ(m.thread().message_id(), "fwd-1@example.com");
  EXPECT_EQ(m.sender().value(), "paula@example.com");
}

TEST(EmailNormalizerTest, HtmlOnlyMailIsReducedToText) {
  v1::InboundMessage m = normalizeGolden("html_only.eml");
  EXPECT_EQ(m.sender().display_name(), "\u00c9lodie Martin");
  EXPECT_EQ(m.text(),
            "Bonjour, l\u00e9quipe !\n\nTwo questions about order #88 & the bill:\n\n"
            "- Where is my parcel?\n- Can I pay by bank transfer?\n\n"
            "Tracking page: here <https://track.example/88>\n\nMerci \u2014 \u00c9lodie");
  EXPECT_EQ(m.quoted_history(),
            "Le mar. 7 mai 2024 \u00e0 10:00, Support <support@example.com> a \u00e9crit :\n"
            "> Your order has shipped.\n> Thanks!");
  EXPECT_NE(m.html().find("<script>"), std::string::npos);  // the original, kept as it was
}

TEST(EmailNormalizerTest, EmptyPlainAlternativeFallsBackToTheHtml) {
  const std::string raw =
      "From: a@example.com\nMessage-ID: <e-1@example.com>\n"
      "Content-Type: multipart/alternative; boundary=b\n\n"
      "--b\nContent-Type: text/plain; charset=utf-8\n\n\n"
      "--b\nContent-Type: text/html; charset=utf-8\n\n<p>Only here</p>\n--b--\n";
  ConnectorResult<v1::InboundMessage> m = normalizeRawEmail(raw, smtpEnvelope(), {}, kNow);
  ASSERT_TRUE(m.has_value()) << m.error().detail();
  EXPECT_EQ(m->text(), "Only here");
}

TEST(EmailNormalizerTest, MissingMessageIdKeysOnTheBytes) {
  v1::InboundMessage m = normalizeGolden("missing_message_id.eml");
  // sha256 of the file, computed outside the code under test (Python hashlib).
  EXPECT_EQ(m.envelope().idempotency_key(),
            "email:sha256:6ff0c8c9845e48bdbe2d8dadd6ffd8ed04ab213c9d89993d6828996d776dc8aa");
  EXPECT_TRUE(m.thread().message_id().empty());
  EXPECT_TRUE(m.provider_message_id().empty());
  EXPECT_EQ(m.text(), "This mail client sets no Message-ID.");
  EXPECT_EQ(m.sender().value(), "old-client@example.com");
  EXPECT_TRUE(m.sender().display_name().empty());

  // The same bytes twice: the same event; one byte more: another.
  ConnectorResult<v1::InboundMessage> again =
      normalizeRawEmail(emailTestdata("missing_message_id.eml"), smtpEnvelope(), {}, kNow);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->envelope().event_id(), m.envelope().event_id());
  ConnectorResult<v1::InboundMessage> other =
      normalizeRawEmail(emailTestdata("missing_message_id.eml") + "\n", smtpEnvelope(), {}, kNow);
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->envelope().event_id(), m.envelope().event_id());
}

TEST(EmailNormalizerTest, MissingCharsetLabelFallsBackToWindows1252) {
  v1::InboundMessage m = normalizeGolden("missing_charset_8bit.eml");
  EXPECT_EQ(m.text(), "Le caf\u00e9 co\u00fbte 3\u20ac.");
  EXPECT_EQ(m.thread().subject(), "caf\u00e9");  // raw 8-bit header, not UTF-8
}

TEST(EmailNormalizerTest, MessageWithOnlyAnAttachmentHasNoText) {
  v1::InboundMessage m = normalizeGolden("attachments_only.eml");
  EXPECT_EQ(m.text(), "");
  EXPECT_EQ(m.html(), "");
  ASSERT_EQ(m.attachments_size(), 1);
  EXPECT_EQ(m.attachments(0).name(), "orders.csv");
  EXPECT_EQ(m.attachments(0).content_type(), "text/csv");
  EXPECT_EQ(m.attachments(0).size_bytes(), 24u);
  EXPECT_EQ(m.attachments(0).sha256(),
            "975d8b84691710c3015b643d6fc55f6fdadc7c191a56b03a8cd6f786d0f591f2");
}

TEST(EmailNormalizerTest, EnvelopeOverridesHeadersForTheRecipient) {
  EmailEnvelope envelope;
  envelope.provider = "lmtp";
  envelope.mail_from = "<bounces+123@mailer.example.net>";
  envelope.rcpt_to = {"", "<Sales@Example.COM>", "support@example.com"};
  v1::InboundMessage m = normalizeGolden("gmail_reply_alternative.eml", {}, envelope);
  EXPECT_EQ(m.provider(), "lmtp");
  EXPECT_EQ(m.recipient().value(), "sales@example.com");
  EXPECT_EQ(m.recipient().account_id(), "sales@example.com");
  EXPECT_EQ(m.recipient().display_name(), "");  // not among the To addresses
  EXPECT_EQ(m.sender().account_id(), "sales@example.com");
  EXPECT_EQ(attribute(m, "envelope_from"), "bounces+123@mailer.example.net");
}

TEST(EmailNormalizerTest, LongTextIsCutAndFlagged) {
  EmailLimits limits;
  limits.max_text_chars = 12;
  limits.max_html_bytes = 20;
  v1::InboundMessage m = normalizeGolden("gmail_reply_alternative.eml", limits);
  EXPECT_EQ(m.text(), "Hi team,\n\nTh");
  EXPECT_EQ(m.quoted_history(), "On Mon, May ");
  EXPECT_EQ(attribute(m, "text_truncated"), "true");
  EXPECT_EQ(attribute(m, "quoted_history_truncated"), "true");
  EXPECT_EQ(m.html(), "<div dir=\"ltr\"><div>");
  EXPECT_EQ(attribute(m, "html_truncated"), "true");

  // Code points, not bytes: Korean text cut after 5 characters.
  limits.max_text_chars = 5;
  m = normalizeGolden("charset_euc_kr.eml", limits);
  EXPECT_EQ(m.text(), "안녕하세요");
}

TEST(EmailNormalizerTest, OversizedMessageIsRefused) {
  EmailLimits limits;
  limits.max_message_bytes = 100;
  expectRejected(emailTestdata("gmail_reply_alternative.eml"), Errc::kTooLarge, "body_too_large",
                 "the message is larger than 100 bytes", limits);
}

TEST(EmailNormalizerTest, MalformedMessagesAreRefusedWithAReason) {
  expectRejected(emailTestdata("malformed_no_from.eml"), Errc::kMalformedInput, "malformed_mime",
                 "the message has no From header");
  expectRejected("From: not an address\n\nhello\n", Errc::kMalformedInput, "malformed_mime",
                 "the From header holds no usable address");
  expectRejected("", Errc::kMalformedInput, "malformed_mime", "the message is empty");
  ConnectorResult<v1::InboundMessage> garbage =
      normalizeRawEmail(emailTestdata("malformed_not_a_message.bin"), smtpEnvelope(), {}, kNow);
  ASSERT_FALSE(garbage.has_value());
  EXPECT_EQ(garbage.error().reason(), "malformed_mime");
}

TEST(EmailNormalizerTest, BrokenStructureStillYieldsWhatCanBeRead) {
  // An unterminated multipart, a part without headers, a bad base64 body, invalid UTF-8 in a
  // header declared UTF-8: read as far as possible, never a crash, always valid UTF-8 out.
  const std::string raw =
      "From: =?UTF-8?B?/w==?= <x@example.com>\r\nSubject: =?UTF-8?Q?bad=FF?=\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nno headers here\r\n"
      "--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "!!!not base64###\r\n";
  v1::InboundMessage m = [&] {
    ConnectorResult<v1::InboundMessage> result = normalizeRawEmail(raw, smtpEnvelope(), {}, kNow);
    EXPECT_TRUE(result.has_value());
    return result.has_value() ? *result : v1::InboundMessage();
  }();
  EXPECT_EQ(m.sender().value(), "x@example.com");
  EXPECT_EQ(m.text(), "no headers here");
  std::string wire;
  EXPECT_TRUE(m.SerializeToString(&wire));
  EXPECT_EQ(m.attachments_size(), 1);
}

// Map fields (attributes) encode in hash order unless asked otherwise.
std::string deterministicBytes(const v1::InboundMessage& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return out;
}

// normalize() runs on every HTTP and SMTP thread at once: GMime's one-time set-up, its charset
// tables and libxml2 must hold up under that.
TEST(EmailNormalizerTest, ConcurrentCallsAgree) {
  const std::vector<std::string> files = {"gmail_reply_alternative.eml", "charset_iso_2022_jp.eml",
                                          "charset_shift_jis.eml", "html_only.eml",
                                          "attachments_inline_image.eml"};
  std::vector<std::string> raws;
  std::vector<std::string> expected;
  for (const std::string& file : files) {
    raws.push_back(emailTestdata(file));
    v1::InboundMessage m = normalizeGolden(file);
    m.mutable_envelope()->clear_trace_id();  // random per call
    expected.push_back(deterministicBytes(m));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        const size_t i = static_cast<size_t>(round + t) % raws.size();
        ConnectorResult<v1::InboundMessage> m =
            normalizeRawEmail(raws[i], smtpEnvelope(), {}, kNow);
        if (!m.has_value()) {
          ++mismatches[t];
          continue;
        }
        m->mutable_envelope()->clear_trace_id();
        if (deterministicBytes(*m) != expected[i]) ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// The GMime parser is one per thread and re-initialised for each message (BorrowedMessage):
// whatever a message leaves in it (a refused one, an unterminated multipart cut in the middle of
// a part) must not reach the next. Each golden message normalized on this thread after those
// gives the bytes a fresh thread gives.
TEST(EmailNormalizerTest, PerThreadParserCarriesNothingOver) {
  const std::vector<std::string> files = {"gmail_reply_alternative.eml", "forwarded_rfc822.eml",
                                          "attachments_inline_image.eml", "charset_euc_kr.eml"};
  auto normalizedBytes = [](const std::string& raw) {
    ConnectorResult<v1::InboundMessage> m = normalizeRawEmail(raw, smtpEnvelope(), {}, kNow);
    if (!m.has_value()) return std::string("refused: ") + m.error().detail();
    m->mutable_envelope()->clear_trace_id();  // random per call
    return deterministicBytes(*m);
  };
  std::vector<std::string> raws;
  std::vector<std::string> fresh;
  for (const std::string& file : files) {
    raws.push_back(emailTestdata(file));
    std::thread([&] { fresh.push_back(normalizedBytes(raws.back())); }).join();
  }
  const std::string refused = emailTestdata("malformed_not_a_message.bin");
  const std::string cut =
      "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\nContent-Type: text/plain\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8";
  for (size_t i = 0; i < raws.size(); ++i) {
    EXPECT_TRUE(normalizedBytes(refused).starts_with("refused: "));
    EXPECT_FALSE(normalizedBytes(cut).starts_with("refused: "));
    EXPECT_EQ(normalizedBytes(raws[i]), fresh[i]) << files[i];
  }
}

}  // namespace
}  // namespace switchboard::connectors::email
