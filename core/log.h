// Minimal structured logging to stderr: one line per event, "level component: message".
// Thread-safe (a single write(2) per line). Verbosity from SWITCHBOARD_LOG=debug|info|warn|error.
#pragma once

#include <string_view>

namespace switchboard::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void setLevel(Level level);
bool enabled(Level level);
void write(Level level, std::string_view component, std::string_view message);

inline void debug(std::string_view c, std::string_view m) {
  write(Level::kDebug, c, m);
}
inline void info(std::string_view c, std::string_view m) {
  write(Level::kInfo, c, m);
}
inline void warn(std::string_view c, std::string_view m) {
  write(Level::kWarn, c, m);
}
inline void error(std::string_view c, std::string_view m) {
  write(Level::kError, c, m);
}

}  // namespace switchboard::log
