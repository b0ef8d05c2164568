// HTML-form bodies as the inbound-parse providers post them: multipart/form-data (RFC 7578),
// parsed with GMime (the part boundaries, part headers and Content-Transfer-Encoding are GMime's
// job, never hand-rolled), and application/x-www-form-urlencoded (Mailgun without attachments),
// both turned into one list of FormParts so that a connector reads either the same way.
// Pure functions, safe from any thread (GMime is initialised once per process on first use).
//
// Limits are checked before or while parsing, so that a stranger's body cannot make the parser
// build an unbounded number of objects: the body size (413 body_too_large), the number of parts
// (counted from the boundary delimiters before GMime sees the body; 413 too_many_parts) and the
// size of each non-file field (413 field_too_large). A body GMime cannot read as a complete
// multipart/form-data (no boundary, no parts, a missing closing delimiter, nested multiparts) is
// 400 malformed_multipart with a detail that says which.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"

namespace switchboard::connectors::email {

// Rejection reasons of the form readers (metric labels; see rejection_reasons.h for the shared
// ones they also use: wrong_content_type, body_too_large).
inline constexpr std::string_view kMalformedMultipart = "malformed_multipart";
inline constexpr std::string_view kMalformedForm = "malformed_form";
inline constexpr std::string_view kTooManyParts = "too_many_parts";
inline constexpr std::string_view kFieldTooLarge = "field_too_large";

// One form field or uploaded file.
struct FormPart {
  std::string name;                     // Content-Disposition name
  std::optional<std::string> filename;  // Content-Disposition filename: set for file uploads
  std::string content_type;             // "image/png", lower case; empty when the part had none
  std::string charset;                  // the Content-Type charset parameter, if any
  std::string data;                     // content, Content-Transfer-Encoding decoded

  bool isFile() const { return filename.has_value(); }
};

struct FormLimits {
  size_t max_body_bytes = 32 << 20;
  size_t max_parts = 256;
  // Non-file fields larger than this are refused, except those named in `large_fields`
  // (a raw message: SendGrid's `email`, Mailgun's `body-mime`), bounded by the body size only.
  size_t max_field_bytes = 4 << 20;
  std::vector<std::string_view> large_fields;
};

// Parses a multipart/form-data body; `content_type` is the request's Content-Type header value
// with its boundary parameter. Parts keep the order of the body; repeated names are kept.
ConnectorResult<std::vector<FormPart>> parseMultipartForm(std::string_view content_type,
                                                          std::string_view body,
                                                          const FormLimits& limits);

// Reads a request body that is either multipart/form-data or application/x-www-form-urlencoded
// (urlencoded fields become FormParts without filename or content type). Any other Content-Type
// is 415 wrong_content_type.
ConnectorResult<std::vector<FormPart>> parseFormBody(std::optional<std::string_view> content_type,
                                                     std::string_view body,
                                                     const FormLimits& limits);

// The first non-file part called `name`, if any.
const FormPart* findField(const std::vector<FormPart>& parts, std::string_view name);

}  // namespace switchboard::connectors::email
