#include "core/malloc_huge_pages.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace switchboard {

namespace {
constexpr std::string_view kTunable = "glibc.malloc.hugetlb=";
}  // namespace

std::string hugetlbTunable(std::string_view glibc_tunables) {
  std::string value;
  // Colon-separated name=value pairs; a later one overrides an earlier one, as in glibc.
  while (!glibc_tunables.empty()) {
    const size_t end = glibc_tunables.find(':');
    const std::string_view pair = glibc_tunables.substr(0, end);
    if (pair.starts_with(kTunable)) value = std::string(pair.substr(kTunable.size()));
    if (end == std::string_view::npos) break;
    glibc_tunables.remove_prefix(end + 1);
  }
  return value;
}

std::string selectedThpMode(std::string_view enabled_file) {
  const size_t open = enabled_file.find('[');
  const size_t close = enabled_file.find(']', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return {};
  return std::string(enabled_file.substr(open + 1, close - open - 1));
}

bool MallocHugePages::effective() const {
  return thp_mode == "always" || (thp_mode == "madvise" && hugetlb == "1") || hugetlb == "2";
}

std::string MallocHugePages::describe() const {
  const std::string tunable = hugetlb.empty() ? "unset" : hugetlb;
  const std::string mode = thp_mode.empty() ? "unknown" : thp_mode;
  std::string line = "glibc.malloc.hugetlb " + tunable + ", transparent huge pages " + mode;
  if (effective()) return "malloc on huge pages (" + line + ")";
  line = "malloc on 4 KiB pages (" + line + "): routing runs ~10% slower";
  if (thp_mode == "never") return line + "; the kernel offers no transparent huge pages";
  return line + "; start with GLIBC_TUNABLES=glibc.malloc.hugetlb=1";
}

MallocHugePages probeMallocHugePages() {
  MallocHugePages probe;
  if (const char* tunables = std::getenv("GLIBC_TUNABLES")) {
    probe.hugetlb = hugetlbTunable(tunables);
  }
  std::ifstream enabled("/sys/kernel/mm/transparent_hugepage/enabled");
  const std::string text((std::istreambuf_iterator<char>(enabled)),
                         std::istreambuf_iterator<char>());
  probe.thp_mode = selectedThpMode(text);
  return probe;
}

}  // namespace switchboard
