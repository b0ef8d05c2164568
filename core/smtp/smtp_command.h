// Parsing of SMTP/LMTP command lines (RFC 5321 section 4.1, RFC 2033): the verb, and for
// MAIL FROM / RCPT TO the path and its ESMTP parameters. Pure functions over one line without
// its CRLF; no state, no I/O, so they are unit-tested and fuzzed on their own. The returned
// views point into the line passed in. Errors come back as values (Errc::kMalformedInput) whose
// message is fit for a 501 reply.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace switchboard::smtp {

enum class Verb {
  kHelo,
  kEhlo,
  kLhlo,
  kMail,
  kRcpt,
  kData,
  kRset,
  kNoop,
  kQuit,
  kVrfy,
  kHelp,
  // Known commands this server deliberately does not implement (AUTH, STARTTLS, BDAT,
  // EXPN, TURN, ETRN): answered 502, not 500.
  kNotImplemented,
  kUnknown,
};

struct Command {
  Verb verb = Verb::kUnknown;
  std::string_view name;      // the verb as sent, for replies ("ehlo")
  std::string_view argument;  // everything after the verb and its space, trailing blanks removed
};

// Splits a command line into verb and argument. Verbs are case-insensitive. Never fails: an
// unrecognised verb is Verb::kUnknown.
Command parseCommand(std::string_view line);

// One ESMTP parameter of MAIL or RCPT: "SIZE=1000" → {"SIZE", "1000"}, "SMTPUTF8" → {"SMTPUTF8",
// ""}. Keywords are upper-cased.
struct Parameter {
  std::string keyword;
  std::string_view value;
};

struct PathArgument {
  std::string_view address;  // without angle brackets and source route; empty for "<>"
  std::vector<Parameter> parameters;
};

// Parses the argument of MAIL ("FROM:<a@b> SIZE=10") or RCPT ("TO:<c@d>") given the expected
// prefix ("FROM:" or "TO:", case-insensitive). Accepts a space after the colon and a path
// without angle brackets, as common MTAs do. The null path "<>" is allowed only when
// `allow_null_path`.
Result<PathArgument> parsePathArgument(std::string_view argument, std::string_view prefix,
                                       bool allow_null_path);

// Parses a decimal SIZE value; fails on anything but 1..19 digits.
Result<uint64_t> parseSizeValue(std::string_view value);

}  // namespace switchboard::smtp
