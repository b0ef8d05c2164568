#include "router/policy/policy_loader.h"

#include <charconv>
#include <chrono>
#include <exception>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "core/fnv1a.h"

namespace switchboard::policy {
namespace {

using Keys = std::initializer_list<std::string_view>;

constexpr int64_t kMaxPriority = 1'000'000;
constexpr int64_t kMaxCapacity = 1'000;
// Names follow the agent API's rule for agent ids (router/api/agent_api.cc).
constexpr size_t kMaxNameBytes = 128;

constexpr std::pair<std::string_view, unsigned> kWeekdays[] = {
    {"sun", 0}, {"mon", 1}, {"tue", 2}, {"wed", 3}, {"thu", 4}, {"fri", 5}, {"sat", 6}};

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}
std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::string_view typeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "nothing (null)";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "nothing";
  }
}

// The entries of a mapping node that the loader has checked: key → (key node, value node).
class Fields {
 public:
  void add(std::string key, YAML::Node key_node, YAML::Node value) {
    entries_.push_back({std::move(key), std::move(key_node), std::move(value)});
  }
  std::optional<YAML::Node> get(std::string_view key) const {
    for (const Entry& entry : entries_) {
      if (entry.key == key) return entry.value;
    }
    return std::nullopt;
  }
  bool has(std::string_view key) const { return get(key).has_value(); }
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

class Loader {
 public:
  explicit Loader(std::string_view source) : source_(source) {}

  Result<Policy> load(const YAML::Node& root) {
    Policy policy;
    policy.source = std::string(source_);
    SB_ASSIGN_OR_RETURN(Fields top,
                        mapping(root, "", {"version", "defaults", "pools", "calendars", "queues"}));
    if (auto version = top.get("version")) {
      SB_ASSIGN_OR_RETURN(int64_t v, integer(*version, "version", 1, 1000));
      if (v != 1) {
        return fail(*version, "version",
                    "unsupported version " + std::to_string(v) + " (this Switchboard reads 1)");
      }
    }
    if (auto defaults = top.get("defaults")) {
      SB_ASSIGN_OR_RETURN(policy.defaults, loadDefaults(*defaults, "defaults"));
    }
    if (auto calendars = top.get("calendars")) {
      SB_RETURN_IF_ERROR(loadCalendars(*calendars, "calendars", policy));
    }
    SB_ASSIGN_OR_RETURN(YAML::Node pools, required(top, root, "", "pools"));
    SB_RETURN_IF_ERROR(loadPools(pools, "pools", policy));
    SB_ASSIGN_OR_RETURN(YAML::Node queues, required(top, root, "", "queues"));
    SB_RETURN_IF_ERROR(loadQueues(queues, "queues", policy));
    for (const Pool& pool : policy.pools) {
      bool known = false;
      for (const std::string& d : policy.domains) known = known || d == pool.domain;
      if (!known) policy.domains.push_back(pool.domain);
    }
    return policy;
  }

  Error fail(const YAML::Node& at, const std::string& path, const std::string& message) const {
    return failAt(at.Mark(), path, message);
  }
  Error failAt(const YAML::Mark& mark, const std::string& path, const std::string& message) const {
    std::string text = std::string(source_);
    if (!mark.is_null()) {
      text += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    }
    text += ": ";
    if (!path.empty()) text += path + ": ";
    text += message;
    return makeError(Errc::kConfig, std::move(text));
  }

 private:
  // --- typed readers -------------------------------------------------------------------

  Result<Fields> mapping(const YAML::Node& node, const std::string& path, Keys allowed) const {
    if (!node.IsMap()) {
      return fail(node, path, "expected a mapping, found " + std::string(typeName(node)));
    }
    Fields fields;
    for (auto it = node.begin(); it != node.end(); ++it) {
      // A copy: `it->first` lives in a temporary proxy that dies at the end of the statement.
      const YAML::Node key = it->first;
      if (!key.IsScalar()) {
        return fail(key, path, "expected a plain key, found " + std::string(typeName(key)));
      }
      const std::string& name = key.Scalar();
      bool known = false;
      for (std::string_view k : allowed) known = known || k == name;
      if (!known) {
        std::string list;
        for (std::string_view k : allowed) list += (list.empty() ? "" : ", ") + std::string(k);
        return fail(key, child(path, name), "unknown key (expected one of: " + list + ")");
      }
      for (const Fields::Entry& seen : fields.entries()) {
        if (seen.key == name) {
          return fail(key, child(path, name),
                      "duplicate key (first at line " +
                          std::to_string(seen.key_node.Mark().line + 1) + ")");
        }
      }
      fields.add(name, key, it->second);
    }
    return fields;
  }

  Result<YAML::Node> required(const Fields& fields, const YAML::Node& parent,
                              const std::string& path, std::string_view key) const {
    if (auto value = fields.get(key)) return *value;
    // Spelled out: YAML::Node's converting constructor makes `return Error` ambiguous.
    return Result<YAML::Node>(boost::system::in_place_error,
                              fail(parent, path, "missing required key " + quoted(key)));
  }

  Status sequence(const YAML::Node& node, const std::string& path) const {
    if (!node.IsSequence()) {
      return fail(node, path, "expected a list, found " + std::string(typeName(node)));
    }
    return okStatus();
  }

  Result<std::string> scalar(const YAML::Node& node, const std::string& path,
                             std::string_view expected) const {
    if (!node.IsScalar()) {
      return fail(node, path,
                  "expected " + std::string(expected) + ", found " + std::string(typeName(node)));
    }
    return node.Scalar();
  }

  Result<std::string> name(const YAML::Node& node, const std::string& path) const {
    SB_ASSIGN_OR_RETURN(std::string text, scalar(node, path, "a name"));
    bool ok = !text.empty() && text.size() <= kMaxNameBytes;
    for (char c : text) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == '~' || c == '@');
    }
    if (!ok) {
      return fail(node, path,
                  "bad name " + quoted(text) + " (expected 1 to " + std::to_string(kMaxNameBytes) +
                      " characters from A-Z a-z 0-9 - . _ ~ @, as agent ids)");
    }
    return text;
  }

  Result<int64_t> integer(const YAML::Node& node, const std::string& path, int64_t min,
                          int64_t max) const {
    SB_ASSIGN_OR_RETURN(std::string text, scalar(node, path, "an integer"));
    int64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec == std::errc::result_out_of_range) {
      return fail(node, path,
                  "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                      ", found " + text);
    }
    if (text.empty() || ec != std::errc() || ptr != end) {
      return fail(node, path, "expected an integer, found " + quoted(text));
    }
    if (value < min || value > max) {
      return fail(node, path,
                  "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                      ", found " + text);
    }
    return value;
  }

  // YAML 1.2 core schema booleans only: "yes"/"on" are not booleans, so a typo stays an error.
  Result<bool> boolean(const YAML::Node& node, const std::string& path) const {
    SB_ASSIGN_OR_RETURN(std::string text, scalar(node, path, "true or false"));
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    return fail(node, path, "expected true or false, found " + quoted(text));
  }

  Result<Seconds> duration(const YAML::Node& node, const std::string& path) const {
    SB_ASSIGN_OR_RETURN(std::string text, scalar(node, path, "a duration"));
    auto parsed = parseDuration(text);
    if (!parsed) return fail(node, path, parsed.error().message());
    return *parsed;
  }

  Result<std::vector<std::string>> stringList(const YAML::Node& node,
                                              const std::string& path) const {
    SB_RETURN_IF_ERROR(sequence(node, path));
    std::vector<std::string> out;
    for (size_t i = 0; i < node.size(); ++i) {
      SB_ASSIGN_OR_RETURN(std::string value, name(node[i], item(path, i)));
      out.push_back(std::move(value));
    }
    return out;
  }

  Result<v1::Channel> channelKey(const YAML::Node& key, const std::string& path) const {
    const auto channel = channelFromName(key.Scalar());
    if (!channel) {
      return fail(key, path,
                  "unknown channel " + quoted(key.Scalar()) +
                      " (expected one of: " + std::string(channelNameList()) + ")");
    }
    return *channel;
  }

  // A mapping of channel name → duration.
  Result<ChannelMap<Seconds>> channelDurations(const YAML::Node& node,
                                               const std::string& path) const {
    SB_ASSIGN_OR_RETURN(Fields fields, channelFields(node, path));
    ChannelMap<Seconds> out;
    for (const Fields::Entry& entry : fields.entries()) {
      const std::string entry_path = child(path, entry.key);
      SB_ASSIGN_OR_RETURN(v1::Channel channel, channelKey(entry.key_node, entry_path));
      SB_ASSIGN_OR_RETURN(Seconds value, duration(entry.value, entry_path));
      out.set(channel, value);
    }
    return out;
  }

  // A mapping whose keys must be channel names (checked by the caller through channelKey()).
  Result<Fields> channelFields(const YAML::Node& node, const std::string& path) const {
    static const Keys kAllChannels = {"email",    "sms", "chat",     "messenger", "instagram",
                                      "whatsapp", "x",   "telegram", "voice"};
    if (!node.IsMap()) {
      return fail(node, path,
                  "expected a mapping of channel names, found " + std::string(typeName(node)));
    }
    // Unknown channel names get the channel-specific message rather than "unknown key".
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar()) {
        SB_RETURN_IF_ERROR(channelKey(it->first, child(path, it->first.Scalar())));
      }
    }
    return mapping(node, path, kAllChannels);
  }

  Result<Filter> filter(const YAML::Node& node, const std::string& path) const {
    SB_ASSIGN_OR_RETURN(std::string text, scalar(node, path, "a filter expression"));
    auto compiled = Filter::compile(text);
    if (!compiled) {
      return fail(node, path, "bad filter: " + compiled.error().message());
    }
    return std::move(*compiled);
  }

  Result<std::chrono::sys_days> date(const YAML::Node& node, const std::string& path) const {
    SB_ASSIGN_OR_RETURN(std::string text, scalar(node, path, "a date"));
    const auto bad = [&] {
      return fail(node, path, "bad date " + quoted(text) + " (expected YYYY-MM-DD)");
    };
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
    int parts[3] = {0, 0, 0};
    const std::pair<size_t, size_t> spans[3] = {{0, 4}, {5, 2}, {8, 2}};
    for (int i = 0; i < 3; ++i) {
      const char* begin = text.data() + spans[i].first;
      const char* end = begin + spans[i].second;
      const auto [ptr, ec] = std::from_chars(begin, end, parts[i]);
      if (ec != std::errc() || ptr != end) return bad();
    }
    const std::chrono::year_month_day ymd{std::chrono::year(parts[0]),
                                          std::chrono::month(static_cast<unsigned>(parts[1])),
                                          std::chrono::day(static_cast<unsigned>(parts[2]))};
    if (!ymd.ok()) return bad();
    return std::chrono::sys_days(ymd);
  }

  // --- sections ------------------------------------------------------------------------

  Result<Defaults> loadDefaults(const YAML::Node& node, const std::string& path) const {
    SB_ASSIGN_OR_RETURN(Fields fields,
                        mapping(node, path,
                                {"open_conversation_window", "sla", "reservation_timeout",
                                 "sticky_grace", "decline_memory"}));
    Defaults out;
    if (auto v = fields.get("open_conversation_window")) {
      SB_ASSIGN_OR_RETURN(out.open_conversation_window,
                          channelDurations(*v, child(path, "open_conversation_window")));
    }
    if (auto v = fields.get("sla")) {
      SB_ASSIGN_OR_RETURN(out.sla, channelDurations(*v, child(path, "sla")));
    }
    if (auto v = fields.get("reservation_timeout")) {
      SB_ASSIGN_OR_RETURN(out.reservation_timeout,
                          duration(*v, child(path, "reservation_timeout")));
    }
    if (auto v = fields.get("sticky_grace")) {
      SB_ASSIGN_OR_RETURN(out.sticky_grace, duration(*v, child(path, "sticky_grace")));
    }
    if (auto v = fields.get("decline_memory")) {
      SB_ASSIGN_OR_RETURN(out.decline_memory, duration(*v, child(path, "decline_memory")));
    }
    return out;
  }

  Status loadCalendars(const YAML::Node& node, const std::string& path, Policy& policy) const {
    SB_RETURN_IF_ERROR(sequence(node, path));
    std::vector<YAML::Node> name_nodes;
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string at = item(path, i);
      const YAML::Node entry = node[i];
      SB_ASSIGN_OR_RETURN(Fields fields,
                          mapping(entry, at, {"name", "time_zone", "hours", "holidays"}));
      SB_ASSIGN_OR_RETURN(YAML::Node name_node, required(fields, entry, at, "name"));
      SB_ASSIGN_OR_RETURN(std::string calendar_name, name(name_node, child(at, "name")));
      for (size_t j = 0; j < policy.calendars.size(); ++j) {
        if (policy.calendars[j].name() == calendar_name) {
          return fail(name_node, child(at, "name"),
                      "duplicate calendar name " + quoted(calendar_name) + " (first at line " +
                          std::to_string(name_nodes[j].Mark().line + 1) + ")");
        }
      }
      SB_ASSIGN_OR_RETURN(YAML::Node zone_node, required(fields, entry, at, "time_zone"));
      SB_ASSIGN_OR_RETURN(std::string zone,
                          scalar(zone_node, child(at, "time_zone"), "a time zone name"));
      SB_ASSIGN_OR_RETURN(YAML::Node hours_node, required(fields, entry, at, "hours"));
      SB_ASSIGN_OR_RETURN(BusinessCalendar::WeeklyHours hours,
                          weeklyHours(hours_node, child(at, "hours")));
      std::vector<std::chrono::sys_days> holidays;
      if (auto v = fields.get("holidays")) {
        const std::string holidays_path = child(at, "holidays");
        SB_RETURN_IF_ERROR(sequence(*v, holidays_path));
        for (size_t j = 0; j < v->size(); ++j) {
          SB_ASSIGN_OR_RETURN(auto day, date((*v)[j], item(holidays_path, j)));
          holidays.push_back(day);
        }
      }
      auto calendar =
          BusinessCalendar::make(calendar_name, zone, std::move(hours), std::move(holidays));
      if (!calendar) return fail(zone_node, child(at, "time_zone"), calendar.error().message());
      policy.calendars.push_back(std::move(*calendar));
      name_nodes.push_back(name_node);
    }
    return okStatus();
  }

  Result<BusinessCalendar::WeeklyHours> weeklyHours(const YAML::Node& node,
                                                    const std::string& path) const {
    SB_ASSIGN_OR_RETURN(Fields fields,
                        mapping(node, path, {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}));
    BusinessCalendar::WeeklyHours hours;
    bool any = false;
    for (const auto& [day_name, weekday] : kWeekdays) {
      auto day = fields.get(day_name);
      if (!day) continue;
      const std::string day_path = child(path, day_name);
      SB_RETURN_IF_ERROR(sequence(*day, day_path));
      for (size_t i = 0; i < day->size(); ++i) {
        const std::string shift_path = item(day_path, i);
        SB_ASSIGN_OR_RETURN(std::string text, scalar((*day)[i], shift_path, "a shift"));
        auto shift = parseShift(text);
        if (!shift) return fail((*day)[i], shift_path, shift.error().message());
        hours[weekday].push_back(*shift);
        any = true;
      }
    }
    if (!any) return fail(node, path, "no business hours in the week (a calendar must open)");
    return hours;
  }

  Status loadPools(const YAML::Node& node, const std::string& path, Policy& policy) const {
    SB_RETURN_IF_ERROR(sequence(node, path));
    if (node.size() == 0) return fail(node, path, "at least one pool is required");
    std::vector<YAML::Node> name_nodes;
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string at = item(path, i);
      const YAML::Node entry = node[i];
      SB_ASSIGN_OR_RETURN(Fields fields, mapping(entry, at,
                                                 {"name", "domain", "members", "capacity",
                                                  "strategy", "sticky_grace"}));
      Pool pool;
      SB_ASSIGN_OR_RETURN(YAML::Node name_node, required(fields, entry, at, "name"));
      SB_ASSIGN_OR_RETURN(pool.name, name(name_node, child(at, "name")));
      for (size_t j = 0; j < policy.pools.size(); ++j) {
        if (policy.pools[j].name == pool.name) {
          return fail(name_node, child(at, "name"),
                      "duplicate pool name " + quoted(pool.name) + " (first at line " +
                          std::to_string(name_nodes[j].Mark().line + 1) + ")");
        }
      }
      SB_ASSIGN_OR_RETURN(YAML::Node members, required(fields, entry, at, "members"));
      const std::string members_path = child(at, "members");
      SB_ASSIGN_OR_RETURN(Fields member_fields,
                          mapping(members, members_path, {"everyone", "agents", "skills"}));
      if (auto v = member_fields.get("everyone")) {
        SB_ASSIGN_OR_RETURN(pool.everyone, boolean(*v, child(members_path, "everyone")));
      }
      if (auto v = member_fields.get("agents")) {
        SB_ASSIGN_OR_RETURN(pool.agents, stringList(*v, child(members_path, "agents")));
      }
      if (auto v = member_fields.get("skills")) {
        SB_ASSIGN_OR_RETURN(pool.skills, stringList(*v, child(members_path, "skills")));
      }
      if (!pool.everyone && pool.agents.empty() && pool.skills.empty()) {
        return fail(members, members_path,
                    "empty member set (list agent ids under \"agents\", a skill selector "
                    "under \"skills\", or \"everyone: true\")");
      }
      if (auto v = fields.get("capacity")) {
        const std::string capacity_path = child(at, "capacity");
        SB_ASSIGN_OR_RETURN(Fields capacity, channelFields(*v, capacity_path));
        for (const Fields::Entry& c : capacity.entries()) {
          const std::string c_path = child(capacity_path, c.key);
          SB_ASSIGN_OR_RETURN(v1::Channel channel, channelKey(c.key_node, c_path));
          SB_ASSIGN_OR_RETURN(int64_t n, integer(c.value, c_path, 0, kMaxCapacity));
          pool.capacity.set(channel, static_cast<uint32_t>(n));
        }
      }
      if (auto v = fields.get("strategy")) {
        SB_ASSIGN_OR_RETURN(std::string text, scalar(*v, child(at, "strategy"), "a strategy"));
        const auto strategy = strategyFromName(text);
        if (!strategy) {
          return fail(*v, child(at, "strategy"),
                      "unknown strategy " + quoted(text) +
                          " (expected longest-idle, least-busy or round-robin)");
        }
        pool.strategy = *strategy;
      }
      if (auto v = fields.get("sticky_grace")) {
        SB_ASSIGN_OR_RETURN(pool.sticky_grace, duration(*v, child(at, "sticky_grace")));
      }
      if (auto v = fields.get("domain")) {
        SB_ASSIGN_OR_RETURN(pool.domain, name(*v, child(at, "domain")));
      }
      // An agent listed by id in pools of two domains would be matched by two dispatch tasks
      // at once (double-booked), so the loader refuses it.
      for (const Pool& earlier : policy.pools) {
        if (earlier.domain == pool.domain) continue;
        for (const std::string& agent : pool.agents) {
          for (const std::string& other : earlier.agents) {
            if (agent == other) {
              return fail(members, members_path,
                          "agent " + quoted(agent) + " is listed in pool " + quoted(earlier.name) +
                              " of domain " + quoted(earlier.domain) +
                              " too; an agent serves one domain");
            }
          }
        }
      }
      policy.pools.push_back(std::move(pool));
      name_nodes.push_back(name_node);
    }
    return okStatus();
  }

  Result<std::string> poolRef(const YAML::Node& node, const std::string& path,
                              const Policy& policy) const {
    SB_ASSIGN_OR_RETURN(std::string pool, name(node, path));
    if (!policy.findPool(pool)) return fail(node, path, "unknown pool " + quoted(pool));
    return pool;
  }

  Result<int32_t> priority(const YAML::Node& node, const std::string& path) const {
    SB_ASSIGN_OR_RETURN(int64_t value, integer(node, path, -kMaxPriority, kMaxPriority));
    return static_cast<int32_t>(value);
  }

  Status loadQueues(const YAML::Node& node, const std::string& path, Policy& policy) const {
    SB_RETURN_IF_ERROR(sequence(node, path));
    if (node.size() == 0) return fail(node, path, "at least one queue is required");
    std::vector<YAML::Node> name_nodes;
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string at = item(path, i);
      const YAML::Node entry = node[i];
      SB_ASSIGN_OR_RETURN(
          Fields fields, mapping(entry, at,
                                 {"name", "filter", "priority", "boosts", "sla_risk", "sla", "pool",
                                  "skills", "overflow", "calendar", "after_hours_sla"}));
      Queue queue;
      SB_ASSIGN_OR_RETURN(YAML::Node name_node, required(fields, entry, at, "name"));
      SB_ASSIGN_OR_RETURN(queue.name, name(name_node, child(at, "name")));
      for (size_t j = 0; j < policy.queues.size(); ++j) {
        if (policy.queues[j].name == queue.name) {
          return fail(name_node, child(at, "name"),
                      "duplicate queue name " + quoted(queue.name) + " (first at line " +
                          std::to_string(name_nodes[j].Mark().line + 1) + ")");
        }
      }
      if (auto v = fields.get("filter")) {
        SB_ASSIGN_OR_RETURN(queue.filter, filter(*v, child(at, "filter")));
      }
      if (auto v = fields.get("priority")) {
        SB_ASSIGN_OR_RETURN(queue.priority, priority(*v, child(at, "priority")));
      }
      if (auto v = fields.get("boosts")) {
        SB_RETURN_IF_ERROR(loadBoosts(*v, child(at, "boosts"), queue));
      }
      if (auto v = fields.get("sla_risk")) {
        const std::string risk_path = child(at, "sla_risk");
        SB_ASSIGN_OR_RETURN(Fields risk, mapping(*v, risk_path, {"within", "add"}));
        SB_ASSIGN_OR_RETURN(YAML::Node within, required(risk, *v, risk_path, "within"));
        SB_ASSIGN_OR_RETURN(YAML::Node add, required(risk, *v, risk_path, "add"));
        SlaRiskBoost boost;
        SB_ASSIGN_OR_RETURN(boost.within, duration(within, child(risk_path, "within")));
        SB_ASSIGN_OR_RETURN(boost.add, priority(add, child(risk_path, "add")));
        queue.sla_risk = boost;
      }
      if (auto v = fields.get("sla")) {
        SB_ASSIGN_OR_RETURN(queue.sla, channelDurations(*v, child(at, "sla")));
      }
      SB_ASSIGN_OR_RETURN(YAML::Node pool_node, required(fields, entry, at, "pool"));
      SB_ASSIGN_OR_RETURN(queue.pool, poolRef(pool_node, child(at, "pool"), policy));
      queue.reach.push_back(queue.pool);
      if (auto v = fields.get("skills")) {
        SB_ASSIGN_OR_RETURN(queue.skills, stringList(*v, child(at, "skills")));
      }
      if (auto v = fields.get("overflow")) {
        SB_RETURN_IF_ERROR(loadOverflow(*v, child(at, "overflow"), policy, queue));
      }
      if (auto v = fields.get("calendar")) {
        SB_ASSIGN_OR_RETURN(queue.calendar, name(*v, child(at, "calendar")));
        for (size_t j = 0; j < policy.calendars.size(); ++j) {
          if (policy.calendars[j].name() == queue.calendar) queue.calendar_index = j;
        }
        if (!queue.calendar_index) {
          return fail(*v, child(at, "calendar"), "unknown calendar " + quoted(queue.calendar));
        }
      }
      if (auto v = fields.get("after_hours_sla")) {
        if (!queue.calendar_index) {
          return fail(*v, child(at, "after_hours_sla"),
                      "needs a calendar (after hours of what? add \"calendar\")");
        }
        SB_ASSIGN_OR_RETURN(queue.after_hours_sla,
                            channelDurations(*v, child(at, "after_hours_sla")));
      }
      policy.queues.push_back(std::move(queue));
      name_nodes.push_back(name_node);
    }
    return okStatus();
  }

  Status loadBoosts(const YAML::Node& node, const std::string& path, Queue& queue) const {
    SB_RETURN_IF_ERROR(sequence(node, path));
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string at = item(path, i);
      const YAML::Node entry = node[i];
      SB_ASSIGN_OR_RETURN(Fields fields, mapping(entry, at, {"when", "add"}));
      SB_ASSIGN_OR_RETURN(YAML::Node when, required(fields, entry, at, "when"));
      SB_ASSIGN_OR_RETURN(YAML::Node add, required(fields, entry, at, "add"));
      PriorityBoost boost;
      SB_ASSIGN_OR_RETURN(boost.when, filter(when, child(at, "when")));
      SB_ASSIGN_OR_RETURN(boost.add, priority(add, child(at, "add")));
      queue.boosts.push_back(std::move(boost));
    }
    return okStatus();
  }

  Status loadOverflow(const YAML::Node& node, const std::string& path, const Policy& policy,
                      Queue& queue) const {
    SB_RETURN_IF_ERROR(sequence(node, path));
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string at = item(path, i);
      const YAML::Node entry = node[i];
      SB_ASSIGN_OR_RETURN(Fields fields, mapping(entry, at, {"after", "widen_to"}));
      SB_ASSIGN_OR_RETURN(YAML::Node after, required(fields, entry, at, "after"));
      SB_ASSIGN_OR_RETURN(YAML::Node widen_to, required(fields, entry, at, "widen_to"));
      OverflowStep step;
      SB_ASSIGN_OR_RETURN(step.after, duration(after, child(at, "after")));
      if (!queue.overflow.empty() && step.after <= queue.overflow.back().after) {
        return fail(after, child(at, "after"),
                    "overflow steps must be increasing: " + formatDuration(step.after) +
                        " is not after " + formatDuration(queue.overflow.back().after));
      }
      SB_ASSIGN_OR_RETURN(step.widen_to, poolRef(widen_to, child(at, "widen_to"), policy));
      const std::string& home = policy.findPool(queue.pool)->domain;
      const std::string& wider = policy.findPool(step.widen_to)->domain;
      if (home != wider) {
        return fail(widen_to, child(at, "widen_to"),
                    "pool " + quoted(step.widen_to) + " is in domain " + quoted(wider) +
                        " but the queue's pool is in " + quoted(home) +
                        " (overflow stays within one dispatch domain)");
      }
      for (const std::string& eligible : queue.reach) {
        if (eligible == step.widen_to) {
          return fail(widen_to, child(at, "widen_to"),
                      "pool " + quoted(step.widen_to) + " is already eligible");
        }
      }
      queue.reach.push_back(step.widen_to);
      queue.overflow.push_back(std::move(step));
    }
    return okStatus();
  }

  std::string_view source_;
};

}  // namespace

// FNV-1a 64: names a version in logs, metrics and work items without a cryptographic dependency
// (it identifies, it does not authenticate).
std::string policyContentVersion(std::string_view text) {
  uint64_t h = fnv1a64(text);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<size_t>(i)] = kHex[h & 0xF];
  return out;
}

Result<Policy> parsePolicy(std::string_view yaml_text, std::string_view source_name) {
  Loader loader(source_name);
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    SB_ASSIGN_OR_RETURN(Policy policy, loader.load(root));
    policy.version = policyContentVersion(yaml_text);
    return policy;
  } catch (const YAML::Exception& e) {
    return loader.failAt(e.mark, "", "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return loader.failAt(YAML::Mark::null_mark(), "", std::string("cannot load: ") + e.what());
  }
}

Result<Policy> loadPolicyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(Errc::kConfig, path + ": cannot open policy file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return makeError(Errc::kConfig, path + ": cannot read policy file");
  return parsePolicy(text.str(), path);
}

}  // namespace switchboard::policy
