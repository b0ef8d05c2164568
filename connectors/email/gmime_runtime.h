// GMime's process-wide set-up and small RAII helpers for the GObjects it hands out. Internal
// to connectors/email/.
//
// g_mime_init() must run once before any other GMime call and is not itself thread-safe, so
// every entry point of this folder calls gmimeParserOptions(), which initialises GMime under a
// std::call_once and returns the shared, never modified parser options. GMime objects are not
// shared between threads here: each parse builds and frees its own.
#pragma once

#include <memory>

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

}  // namespace switchboard::connectors::email
