#include "connectors/email/multipart_form.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::connectors::email {
namespace {

constexpr std::string_view kType = "multipart/form-data; boundary=xYzZY";

// SendGrid's boundary and part layout (parts without Content-Type), CRLF line ends.
std::string crlf(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

const std::string kTwoFields = crlf(
    "--xYzZY\n"
    "Content-Disposition: form-data; name=\"subject\"\n"
    "\n"
    "Hello there\n"
    "--xYzZY\n"
    "Content-Disposition: form-data; name=\"text\"\n"
    "\n"
    "line one\n"
    "line two\n"
    "\n"
    "--xYzZY--\n");

TEST(MultipartFormTest, ReadsFieldsInOrderWithoutTheDelimiterLineBreak) {
  auto parts = parseMultipartForm(kType, kTwoFields, FormLimits{});
  ASSERT_TRUE(parts.has_value()) << parts.error().detail();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "subject");
  EXPECT_EQ((*parts)[0].data, "Hello there");
  EXPECT_FALSE((*parts)[0].isFile());
  EXPECT_EQ((*parts)[0].content_type, "");
  EXPECT_EQ((*parts)[1].name, "text");
  // The CRLF before a delimiter belongs to the delimiter; the blank line before it is content.
  EXPECT_EQ((*parts)[1].data, "line one\r\nline two\r\n");
  ASSERT_NE(findField(*parts, "text"), nullptr);
  EXPECT_EQ(findField(*parts, "missing"), nullptr);
}

TEST(MultipartFormTest, ReadsFilePartsWithTypeCharsetAndTransferEncoding) {
  const std::string body = crlf(
      "--b1\n"
      "Content-Disposition: form-data; name=\"attachment1\"; filename=\"note.txt\"\n"
      "Content-Type: Text/Plain; charset=ISO-8859-1\n"
      "\n"
      "caf\xe9\n"
      "--b1\n"
      "Content-Disposition: form-data; name=\"attachment2\"; filename=\"dot.png\"\n"
      "Content-Type: image/png\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "iVBORw0KGgo=\n"
      "--b1--\n");
  auto parts = parseMultipartForm("multipart/form-data; boundary=\"b1\"", body, FormLimits{});
  ASSERT_TRUE(parts.has_value()) << parts.error().detail();
  ASSERT_EQ(parts->size(), 2u);
  const FormPart& text = (*parts)[0];
  EXPECT_TRUE(text.isFile());
  EXPECT_EQ(*text.filename, "note.txt");
  EXPECT_EQ(text.content_type, "text/plain");
  EXPECT_EQ(text.charset, "ISO-8859-1");
  EXPECT_EQ(text.data, "caf\xe9");
  const FormPart& png = (*parts)[1];
  EXPECT_EQ(png.content_type, "image/png");
  EXPECT_EQ(png.data, std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(findField(*parts, "attachment1"), nullptr) << "files are not fields";
}

TEST(MultipartFormTest, KeepsAnUploadedMessageByteForByte) {
  const std::string message = crlf(
      "From: Ana <ana@example.com>\n"
      "Subject: fwd\n"
      "\n"
      "body\n");
  const std::string body = crlf(
                               "--b1\n"
                               "Content-Disposition: form-data; name=\"attachment1\"; "
                               "filename=\"fwd.eml\"\n"
                               "Content-Type: message/rfc822\n"
                               "\n") +
                           message + crlf("--b1--\n");
  auto parts = parseMultipartForm("multipart/form-data; boundary=b1", body, FormLimits{});
  ASSERT_TRUE(parts.has_value()) << parts.error().detail();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].content_type, "message/rfc822");
  EXPECT_EQ((*parts)[0].data, message.substr(0, message.size() - 2));
}

TEST(MultipartFormTest, RefusesABodyWithoutBoundaryParameter) {
  auto parts = parseMultipartForm("multipart/form-data", kTwoFields, FormLimits{});
  ASSERT_FALSE(parts.has_value());
  EXPECT_EQ(parts.error().code(), Errc::kMalformedInput);
  EXPECT_EQ(parts.error().reason(), kMalformedMultipart);
  EXPECT_EQ(parts.error().detail(),
            "the multipart/form-data Content-Type has no boundary parameter");
}

TEST(MultipartFormTest, RefusesABodyThatNeverUsesTheBoundary) {
  auto parts = parseMultipartForm("multipart/form-data; boundary=other", kTwoFields, FormLimits{});
  ASSERT_FALSE(parts.has_value());
  EXPECT_EQ(parts.error().reason(), kMalformedMultipart);
  EXPECT_EQ(parts.error().detail(), "no part starts with the boundary given in the Content-Type");
}

TEST(MultipartFormTest, RefusesATruncatedBody) {
  const std::string cut = kTwoFields.substr(0, kTwoFields.find("line two"));
  auto parts = parseMultipartForm(kType, cut, FormLimits{});
  ASSERT_FALSE(parts.has_value());
  EXPECT_EQ(parts.error().code(), Errc::kMalformedInput);
  EXPECT_EQ(parts.error().reason(), kMalformedMultipart);
  EXPECT_EQ(parts.error().detail(),
            "the body ends before the closing boundary delimiter (truncated)");
}

TEST(MultipartFormTest, RefusesAPartWithoutName) {
  const std::string body = crlf(
      "--xYzZY\n"
      "Content-Disposition: form-data\n"
      "\n"
      "x\n"
      "--xYzZY--\n");
  auto parts = parseMultipartForm(kType, body, FormLimits{});
  ASSERT_FALSE(parts.has_value());
  EXPECT_EQ(parts.error().detail(), "part 1 has no name");
}

TEST(MultipartFormTest, RefusesNestedMultiparts) {
  const std::string body = crlf(
      "--outer\n"
      "Content-Disposition: form-data; name=\"files\"\n"
      "Content-Type: multipart/mixed; boundary=inner\n"
      "\n"
      "--inner\n"
      "Content-Disposition: file; filename=\"a.txt\"\n"
      "\n"
      "a\n"
      "--inner--\n"
      "--outer--\n");
  auto parts = parseMultipartForm("multipart/form-data; boundary=outer", body, FormLimits{});
  ASSERT_FALSE(parts.has_value());
  EXPECT_EQ(parts.error().reason(), kMalformedMultipart);
  EXPECT_EQ(parts.error().detail(),
            "part 1 is itself a multipart (nested multipart/form-data is not accepted)");
}

TEST(MultipartFormTest, EnforcesPartCountFieldSizeAndBodySize) {
  FormLimits limits;
  limits.max_parts = 1;
  auto too_many = parseMultipartForm(kType, kTwoFields, limits);
  ASSERT_FALSE(too_many.has_value());
  EXPECT_EQ(too_many.error().code(), Errc::kTooLarge);
  EXPECT_EQ(too_many.error().reason(), kTooManyParts);
  EXPECT_EQ(too_many.error().detail(), "more than 1 parts");

  limits = FormLimits{};
  limits.max_field_bytes = 5;
  auto too_big_field = parseMultipartForm(kType, kTwoFields, limits);
  ASSERT_FALSE(too_big_field.has_value());
  EXPECT_EQ(too_big_field.error().reason(), kFieldTooLarge);
  EXPECT_EQ(too_big_field.error().detail(), "field \"subject\" is larger than 5 bytes");

  limits.large_fields = {"subject", "text"};
  EXPECT_TRUE(parseMultipartForm(kType, kTwoFields, limits).has_value());

  limits = FormLimits{};
  limits.max_body_bytes = 10;
  auto too_big_body = parseMultipartForm(kType, kTwoFields, limits);
  ASSERT_FALSE(too_big_body.has_value());
  EXPECT_EQ(too_big_body.error().code(), Errc::kTooLarge);
  EXPECT_EQ(too_big_body.error().reason(), "body_too_large");
}

TEST(MultipartFormTest, ParseFormBodyAcceptsUrlencodedAndRefusesOtherTypes) {
  auto form = parseFormBody("application/x-www-form-urlencoded",
                            "sender=ana%40example.com&subject=Hi+there&body-plain=", FormLimits{});
  ASSERT_TRUE(form.has_value()) << form.error().detail();
  ASSERT_EQ(form->size(), 3u);
  EXPECT_EQ((*form)[0].name, "sender");
  EXPECT_EQ((*form)[0].data, "ana@example.com");
  EXPECT_EQ((*form)[1].data, "Hi there");
  EXPECT_EQ((*form)[2].data, "");

  auto multipart = parseFormBody(kType, kTwoFields, FormLimits{});
  ASSERT_TRUE(multipart.has_value());
  EXPECT_EQ(multipart->size(), 2u);

  auto json = parseFormBody("application/json", "{}", FormLimits{});
  ASSERT_FALSE(json.has_value());
  EXPECT_EQ(json.error().code(), Errc::kUnsupportedMediaType);
  EXPECT_EQ(json.error().reason(), "wrong_content_type");

  auto bad_escape = parseFormBody("application/x-www-form-urlencoded", "a=%zz", FormLimits{});
  ASSERT_FALSE(bad_escape.has_value());
  EXPECT_EQ(bad_escape.error().reason(), kMalformedForm);
}

}  // namespace
}  // namespace switchboard::connectors::email
