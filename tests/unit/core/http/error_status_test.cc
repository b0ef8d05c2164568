#include "core/http/error_status.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace switchboard::http {
namespace {

TEST(HttpStatusTest, MapsEveryErrcToOneStatus) {
  EXPECT_EQ(httpStatusFor(Errc::kMalformedInput), 400);
  EXPECT_EQ(httpStatusFor(Errc::kMissingField), 400);
  EXPECT_EQ(httpStatusFor(Errc::kInvalidArgument), 400);
  EXPECT_EQ(httpStatusFor(Errc::kUnauthenticated), 401);
  EXPECT_EQ(httpStatusFor(Errc::kForbidden), 403);
  EXPECT_EQ(httpStatusFor(Errc::kNotFound), 404);
  EXPECT_EQ(httpStatusFor(Errc::kTooLarge), 413);
  EXPECT_EQ(httpStatusFor(Errc::kUnsupportedMediaType), 415);
  EXPECT_EQ(httpStatusFor(Errc::kUnavailable), 503);
  EXPECT_EQ(httpStatusFor(Errc::kTimeout), 503);
  EXPECT_EQ(httpStatusFor(Errc::kBackPressure), 503);
  EXPECT_EQ(httpStatusFor(Errc::kInternal), 500);
  EXPECT_EQ(httpStatusFor(Errc::kConfig), 500);
}

TEST(HttpStatusTest, ErrorResponseCarriesReasonAndDetail) {
  http::Response r = errorResponse(Errc::kMissingField, "missing_field", "text is required");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  auto body = boost::json::parse(r.body);
  EXPECT_EQ(body.at("error").at("code").as_string(), "missing_field");
  EXPECT_EQ(body.at("error").at("message").as_string(), "text is required");
}

TEST(HttpStatusTest, UnavailableResponseSaysWhenToRetry) {
  http::Response r = unavailableResponse(std::chrono::seconds(5), "later");
  EXPECT_EQ(r.status, 503);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Retry-After");
  EXPECT_EQ(r.headers[0].second, "5");
}

}  // namespace
}  // namespace switchboard::http
