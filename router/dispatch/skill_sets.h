// SkillSets interns skill names and sets of skills as small integers, so that the dispatch
// engine can group agents and queued work by skill set and test "does this agent hold every
// skill this work needs?" on short sorted integer arrays instead of strings.
// One instance per DispatchEngine; never shrinks (bounded by the distinct skill sets seen).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <google/protobuf/repeated_ptr_field.h>

namespace switchboard::dispatch {

using SkillSetId = uint32_t;

// Transparent hash so that maps keyed by std::string can be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class SkillSets {
 public:
  static constexpr SkillSetId kEmpty = 0;

  SkillSets();

  // The id of the set of `skills` (order and repeats do not matter).
  SkillSetId intern(const google::protobuf::RepeatedPtrField<std::string>& skills);

  // True when `have` contains every skill of `need`.
  bool covers(SkillSetId have, SkillSetId need) const;

 private:
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> skill_ids_;
  std::map<std::vector<uint32_t>, SkillSetId> set_ids_;
  std::vector<std::vector<uint32_t>> sets_;  // index: SkillSetId; each sorted, unique
  std::vector<uint32_t> scratch_;            // reused by intern() to avoid allocating
};

}  // namespace switchboard::dispatch
