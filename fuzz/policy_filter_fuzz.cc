// Fuzz target: the routing policy's filter expression compiler and evaluator
// (router/policy/filter.h). Beyond "no crash", it checks two properties and traps when they
// fail: the canonical text of a compiled filter compiles again to the same canonical text, and
// evaluation gives the same answer for both.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz/fuzz_request.h"
#include "router/policy/filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace p = switchboard::policy;
  const std::string_view input = switchboard::fuzz::asView(data, size);
  auto filter = p::Filter::compile(input);
  if (!filter) return 0;

  const std::string canonical = filter->canonical();
  auto again = p::Filter::compile(canonical);
  if (!again || again->canonical() != canonical) __builtin_trap();

  // Evaluate with no attributes, with every attribute the filter reads set to "", and set to
  // a few of the filter's own literals taken from the input (cheap: the first 64 bytes).
  const std::vector<std::string>& names = filter->attributeNames();
  const std::string_view values[] = {"", "chat", "vip", "ko", input.substr(0, 64)};
  std::vector<p::FlatAttributes::Entry> entries;
  for (size_t round = 0; round <= std::size(values); ++round) {
    entries.clear();
    if (round > 0) {
      for (const std::string& name : names) entries.emplace_back(name, values[round - 1]);
    }
    const p::FlatAttributes attributes(entries);
    if (filter->matches(attributes) != again->matches(attributes)) __builtin_trap();
  }
  return 0;
}
