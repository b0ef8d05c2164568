// IdSets interns sets of small integers (skill ids, pool indices) as SetIds, and SkillSets
// interns skill names as integers on top of it, so that the dispatch engine can group agents
// and queued work and test "does this agent hold every skill this work needs?" or "does this
// agent belong to one of the pools this work may go to?" with one mask operation (sets whose
// members are all below 64, the usual case) instead of comparing strings.
// One instance per DispatchEngine; never shrinks (bounded by the distinct sets seen).
// Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <google/protobuf/repeated_ptr_field.h>

namespace switchboard::dispatch {

using SkillSetId = uint32_t;
using SetId = uint32_t;

// Transparent hash so that maps keyed by std::string can be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class IdSets {
 public:
  static constexpr SetId kEmpty = 0;

  IdSets();

  // The id of the set of `ids`; sorts and deduplicates `ids` in place.
  SetId intern(std::vector<uint32_t>& ids);
  // True when `have` contains every member of `need`.
  bool covers(SetId have, SetId need) const {
    if (need == kEmpty || have == need) return true;
    const Info& h = info_[have];
    const Info& n = info_[need];
    if (h.small && n.small) return (n.mask & ~h.mask) == 0;
    return coversSlow(have, need);
  }
  // True when the sets share a member.
  bool intersects(SetId a, SetId b) const {
    const Info& x = info_[a];
    const Info& y = info_[b];
    if (x.small && y.small) return (x.mask & y.mask) != 0;
    return intersectsSlow(a, b);
  }
  std::span<const uint32_t> members(SetId id) const { return sets_[id]; }
  bool contains(SetId set, uint32_t member) const;

 private:
  struct Info {
    uint64_t mask = 0;
    bool small = true;  // every member < 64: `mask` is the set
  };
  bool coversSlow(SetId have, SetId need) const;
  bool intersectsSlow(SetId a, SetId b) const;

  std::map<std::vector<uint32_t>, SetId> set_ids_;
  std::vector<SetId> singles_;               // by member: the id of {member}, kEmpty until interned
  std::vector<std::vector<uint32_t>> sets_;  // index: SetId; each sorted, unique
  std::vector<Info> info_;
};

class SkillSets {
 public:
  static constexpr SkillSetId kEmpty = IdSets::kEmpty;

  SkillSets() = default;
  // Not copyable: recent_ views the keys of this instance's map.
  SkillSets(const SkillSets&) = delete;
  SkillSets& operator=(const SkillSets&) = delete;

  // The id of the set of `skills` (order and repeats do not matter).
  template <typename Range>
  SkillSetId intern(const Range& skills) {
    scratch_.clear();
    for (const auto& skill : skills) scratch_.push_back(skillId(skill));
    if (scratch_.empty()) return kEmpty;
    return sets_.intern(scratch_);
  }
  bool covers(SkillSetId have, SkillSetId need) const { return sets_.covers(have, need); }

 private:
  // A name seen recently and its id. `name` views the map's key (map nodes do not move).
  struct RecentSkill {
    std::string_view name;  // data() null: empty
    uint32_t id = 0;
  };
  static constexpr size_t kRecentSkills = 64;  // a power of two

  uint32_t skillId(std::string_view skill) {
    // Direct-mapped by a cheap hash of the name's length and ends: the few skills work items
    // name are found without hashing every character and visiting the map's node.
    RecentSkill& recent = recent_[recentSlot(skill)];
    if (recent.name.data() != nullptr && recent.name == skill) return recent.id;
    return skillIdSlow(skill, recent);
  }
  static size_t recentSlot(std::string_view skill);
  uint32_t skillIdSlow(std::string_view skill, RecentSkill& recent);

  std::array<RecentSkill, kRecentSkills> recent_{};
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> skill_ids_;
  IdSets sets_;
  std::vector<uint32_t> scratch_;  // reused by intern() to avoid allocating
};

}  // namespace switchboard::dispatch
