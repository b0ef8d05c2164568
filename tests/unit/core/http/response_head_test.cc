#include "core/http/response_head.h"

#include <gtest/gtest.h>

namespace switchboard::http {
namespace {

std::string headOf(const Response& answer, unsigned version, bool keep_alive) {
  std::string out = "left over from the previous answer";
  formatResponseHead(answer, version, keep_alive, out);
  return out;
}

TEST(ResponseHeadTest, KeepAliveHttp11CarriesTypeServerAndLength) {
  Response answer{.status = 202, .body = R"({"status":"accepted"})"};
  EXPECT_EQ(headOf(answer, 11, true),
            "HTTP/1.1 202 Accepted\r\n"
            "Content-Type: application/json\r\n"
            "Server: switchboard\r\n"
            "Content-Length: 21\r\n"
            "\r\n");
}

TEST(ResponseHeadTest, ConnectionHeaderOnlyWhenItDiffersFromTheVersionDefault) {
  Response answer{.status = 404, .body = "{}"};
  EXPECT_NE(headOf(answer, 11, false).find("\r\nConnection: close\r\n\r\n"), std::string::npos);
  EXPECT_EQ(headOf(answer, 11, true).find("Connection"), std::string::npos);
  const std::string http10 = headOf(answer, 10, true);
  EXPECT_TRUE(http10.starts_with("HTTP/1.0 404 Not Found\r\n")) << http10;
  EXPECT_NE(http10.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  EXPECT_EQ(headOf(answer, 10, false).find("Connection"), std::string::npos);
}

TEST(ResponseHeadTest, HandlerHeadersPassButFramingAndInvalidOnesAreDropped) {
  Response answer{.status = 503,
                  .content_type = "application/json",
                  .body = "{}",
                  .headers = {{"Retry-After", "5"},
                              {"content-length", "999"},
                              {"Transfer-Encoding", "chunked"},
                              {"CONNECTION", "upgrade"},
                              {"X-Bad", "a\r\nInjected: yes"},
                              {"Bad Name", "x"},
                              {"content-type", "text/plain"},
                              {"Server", "edge"}}};
  EXPECT_EQ(headOf(answer, 11, true),
            "HTTP/1.1 503 Service Unavailable\r\n"
            "Retry-After: 5\r\n"
            "content-type: text/plain\r\n"
            "Server: edge\r\n"
            "Content-Length: 2\r\n"
            "\r\n");
}

TEST(ResponseHeadTest, NoContentHasNoLengthAndUnknownStatusKeepsItsCode) {
  EXPECT_EQ(headOf(Response{.status = 204, .content_type = ""}, 11, true),
            "HTTP/1.1 204 No Content\r\nServer: switchboard\r\n\r\n");
  const std::string unknown = headOf(Response{.status = 599, .body = "x"}, 11, true);
  EXPECT_TRUE(unknown.starts_with("HTTP/1.1 599 ")) << unknown;
  EXPECT_NE(unknown.find("\r\nContent-Length: 1\r\n"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::http
