// Fuzz target: the shared application/x-www-form-urlencoded parser and its helpers, including
// the encode/decode pair that builds signed payloads. Results are ignored: only crashes and
// sanitizer reports count.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "connectors/common/form_urlencoded.h"
#include "fuzz/fuzz_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace c = switchboard::connectors;
  std::string_view input = switchboard::fuzz::asView(data, size);

  auto fields = c::parseFormUrlencoded(input);
  if (fields.has_value()) {
    for (const c::FormField& field : *fields) {
      (void)c::formValue(*fields, field.name);
      (void)c::formCount(*fields, field.name);
    }
  }
  (void)c::formUrldecode(input);
  (void)c::isValidUtf8(input);
  (void)c::formUrldecode(c::formUrlencode(input));
  return 0;
}
