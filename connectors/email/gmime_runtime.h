// GMime's process-wide set-up and small RAII helpers for the GObjects it hands out. Internal
// to connectors/email/.
//
// g_mime_init() must run once before any other GMime call and is not itself thread-safe, so
// every entry point of this folder calls gmimeParserOptions(), which initialises GMime under a
// std::call_once and returns the shared, never modified parser options. GMime objects are not
// shared between threads here: each parse builds and frees its own (the parser that builds
// them is one per thread, see BorrowedMessage).
#pragma once

#include <memory>
#include <string_view>

#include <gmime/gmime.h>

namespace switchboard::connectors::email {

// Initialises GMime on first use; afterwards returns the options every parse uses (loose RFC
// compliance, fallback charsets for undeclared 8-bit headers: UTF-8, then Windows-1252).
GMimeParserOptions* gmimeParserOptions();

struct GObjectUnref {
  void operator()(void* object) const {
    if (object != nullptr) g_object_unref(object);
  }
};
// Owns one reference to a GObject (GMimeStream, GMimeParser, GMimeMessage ...).
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

// One RFC 5322 message parsed by GMime (gmimeParserOptions()) straight from the caller's
// bytes, which are not copied: the parser persists its stream (GMime's default), so every
// part's content is a window on `raw` (collectMimeContent() decodes it in place). `raw` must
// therefore outlive this object, and the object stays where it was built (GMime's streams
// point at its array header). message() is null when GMime found no header block (or `raw`
// is 4 GiB or more).
// The parser is one per thread, re-initialised for each message and released from the
// message's stream before the constructor returns; the tree is freed by the destructor.
class BorrowedMessage {
 public:
  explicit BorrowedMessage(std::string_view raw);
  BorrowedMessage(const BorrowedMessage&) = delete;
  BorrowedMessage& operator=(const BorrowedMessage&) = delete;

  GMimeMessage* message() const { return message_.get(); }

 private:
  // What GMime's memory stream reads: data and len only. It is not a real GByteArray (no
  // GLib array function may touch it) and the stream does not own it
  // (g_mime_stream_mem_set_owner(FALSE)); parsing never writes to a stream.
  GByteArray view_{};
  GObjectPtr<GMimeMessage> message_;  // destroyed before view_
};

}  // namespace switchboard::connectors::email
