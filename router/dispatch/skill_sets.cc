#include "router/dispatch/skill_sets.h"

#include <algorithm>
#include <cstring>

namespace switchboard::dispatch {

IdSets::IdSets() {
  sets_.emplace_back();  // kEmpty
  info_.push_back(Info{});
  set_ids_.emplace(std::vector<uint32_t>{}, kEmpty);
}

SetId IdSets::intern(std::vector<uint32_t>& ids) {
  // One member (a work item's single required skill, typically): no tree search.
  if (ids.size() == 1 && ids[0] < singles_.size() && singles_[ids[0]] != kEmpty) {
    return singles_[ids[0]];
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  SetId id;
  if (auto found = set_ids_.find(ids); found != set_ids_.end()) {
    id = found->second;
  } else {
    id = static_cast<SetId>(sets_.size());
    Info info;
    for (uint32_t member : ids) {
      if (member < 64) {
        info.mask |= uint64_t{1} << member;
      } else {
        info.small = false;
      }
    }
    sets_.push_back(ids);
    info_.push_back(info);
    set_ids_.emplace(ids, id);
  }
  if (ids.size() == 1) {
    if (singles_.size() <= ids[0]) singles_.resize(ids[0] + 1, kEmpty);
    singles_[ids[0]] = id;
  }
  return id;
}

bool IdSets::contains(SetId set, uint32_t member) const {
  const Info& info = info_[set];
  if (info.small) return member < 64 && (info.mask >> member & 1) != 0;
  return std::binary_search(sets_[set].begin(), sets_[set].end(), member);
}

bool IdSets::coversSlow(SetId have, SetId need) const {
  const std::vector<uint32_t>& h = sets_[have];
  const std::vector<uint32_t>& n = sets_[need];
  return n.size() <= h.size() && std::includes(h.begin(), h.end(), n.begin(), n.end());
}

bool IdSets::intersectsSlow(SetId a, SetId b) const {
  const std::vector<uint32_t>& x = sets_[a];
  const std::vector<uint32_t>& y = sets_[b];
  auto i = x.begin();
  auto j = y.begin();
  while (i != x.end() && j != y.end()) {
    if (*i == *j) return true;
    if (*i < *j) {
      ++i;
    } else {
      ++j;
    }
  }
  return false;
}

size_t SkillSets::recentSlot(std::string_view skill) {
  uint64_t head = 0;
  uint64_t tail = 0;
  const size_t n = skill.size();
  if (n >= 8) {
    std::memcpy(&head, skill.data(), 8);
    std::memcpy(&tail, skill.data() + n - 8, 8);
  } else {
    for (size_t i = 0; i < n; ++i) head = head << 8 | static_cast<unsigned char>(skill[i]);
  }
  const uint64_t mixed = (head * 0x9E3779B97F4A7C15ull) ^ (tail * 0xC2B2AE3D27D4EB4Full) ^ n;
  return static_cast<size_t>((mixed ^ mixed >> 29) * 0xBF58476D1CE4E5B9ull >> 58) &
         (kRecentSkills - 1);
}

uint32_t SkillSets::skillIdSlow(std::string_view skill, RecentSkill& recent) {
  auto it = skill_ids_.find(skill);
  if (it == skill_ids_.end()) {
    it = skill_ids_.emplace(std::string(skill), static_cast<uint32_t>(skill_ids_.size())).first;
  }
  recent = RecentSkill{it->first, it->second};
  return it->second;
}

}  // namespace switchboard::dispatch
