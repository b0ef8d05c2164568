#include "core/stage/crash_points.h"

#include <csignal>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "core/log.h"

namespace switchboard::stage {
namespace {

struct CrashSpec {
  bool armed = false;
  std::string stage;
  std::string point;
  int remaining = 1;
};

CrashSpec& spec() {
  static CrashSpec s = [] {
    CrashSpec c;
    const char* env = std::getenv("SWITCHBOARD_CRASH_AT");
    if (env == nullptr || *env == '\0') return c;
    std::string v(env);
    auto first = v.find(':');
    if (first == std::string::npos) return c;
    auto second = v.find(':', first + 1);
    c.stage = v.substr(0, first);
    c.point =
        v.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
    if (second != std::string::npos) c.remaining = std::max(1, std::atoi(v.c_str() + second + 1));
    c.armed = true;
    return c;
  }();
  return s;
}

}  // namespace

void crashPoint(std::string_view stage, std::string_view point, bool cycle_has_outputs) {
  CrashSpec& s = spec();
  if (!s.armed || !cycle_has_outputs || s.stage != stage || s.point != point) return;
  if (--s.remaining > 0) return;
  log::warn("crash",
            "SWITCHBOARD_CRASH_AT reached " + s.stage + ":" + s.point + ", killing myself");
  ::kill(::getpid(), SIGKILL);
  ::_exit(137);
}

}  // namespace switchboard::stage
