#include "router/dispatch/skill_sets.h"

#include <algorithm>

namespace switchboard::dispatch {

SkillSets::SkillSets() {
  sets_.emplace_back();  // kEmpty
  set_ids_.emplace(std::vector<uint32_t>{}, kEmpty);
}

SkillSetId SkillSets::intern(const google::protobuf::RepeatedPtrField<std::string>& skills) {
  if (skills.empty()) return kEmpty;
  scratch_.clear();
  for (const std::string& skill : skills) {
    auto it = skill_ids_.find(std::string_view(skill));
    if (it == skill_ids_.end()) {
      it = skill_ids_.emplace(skill, static_cast<uint32_t>(skill_ids_.size())).first;
    }
    scratch_.push_back(it->second);
  }
  std::sort(scratch_.begin(), scratch_.end());
  scratch_.erase(std::unique(scratch_.begin(), scratch_.end()), scratch_.end());
  if (auto found = set_ids_.find(scratch_); found != set_ids_.end()) return found->second;
  const auto id = static_cast<SkillSetId>(sets_.size());
  sets_.push_back(scratch_);
  set_ids_.emplace(scratch_, id);
  return id;
}

bool SkillSets::covers(SkillSetId have, SkillSetId need) const {
  if (need == kEmpty || have == need) return true;
  const std::vector<uint32_t>& h = sets_[have];
  const std::vector<uint32_t>& n = sets_[need];
  return n.size() <= h.size() && std::includes(h.begin(), h.end(), n.begin(), n.end());
}

}  // namespace switchboard::dispatch
