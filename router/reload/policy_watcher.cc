#include "router/reload/policy_watcher.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "core/log.h"
#include "router/policy/policy_loader.h"

namespace switchboard::router {
namespace {

constexpr std::string_view kComponent = "policy";

std::optional<std::string> readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(text).str();
}

int64_t nanos(const struct timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

void appendNames(std::string& out, std::string_view what, const std::vector<std::string>& names) {
  if (names.empty()) return;
  if (!out.empty()) out += "; ";
  out += what;
  out += " [";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  out += ']';
}

}  // namespace

std::string_view reloadOutcomeName(ReloadOutcome outcome) {
  switch (outcome) {
    case ReloadOutcome::kNotModified: return "not_modified";
    case ReloadOutcome::kUnchanged: return "unchanged";
    case ReloadOutcome::kApplied: return "applied";
    case ReloadOutcome::kRejected: return "rejected";
  }
  return "unknown";
}

std::string describePolicyDiff(const policy::PolicyDiff& diff) {
  std::string out;
  appendNames(out, "queues added", diff.queues_added);
  appendNames(out, "queues removed", diff.queues_removed);
  appendNames(out, "queues changed", diff.queues_changed);
  appendNames(out, "queues rescheduled", diff.queues_rescheduled);
  if (diff.queue_order_changed)
    out += out.empty() ? "queue order changed" : "; queue order changed";
  appendNames(out, "pools added", diff.pools_added);
  appendNames(out, "pools removed", diff.pools_removed);
  appendNames(out, "pools changed", diff.pools_changed);
  appendNames(out, "calendars changed", diff.calendars_changed);
  if (diff.defaults_changed) out += out.empty() ? "defaults changed" : "; defaults changed";
  return out.empty() ? "no routing change" : out;
}

PolicyWatcher::PolicyWatcher(PolicyHolder& holder, std::string path,
                             metrics::MetricsRegistry& metrics, PolicyWatcherOptions options)
    : holder_(holder), path_(std::move(path)), options_(std::move(options)), probe_(metrics) {
  const PolicyPtr current = holder_.current();
  probe_.policyInForce(*current, options_.now());
  if (path_.empty()) return;
  // The file as loaded at start-up is not a change: remember it, unless it already differs
  // (then the first check applies it).
  const FileStamp stamp = stampOf(path_, nullptr);
  if (!stamp.exists) return;
  std::optional<std::string> text = readWhole(path_);
  if (!text || stampOf(path_, nullptr) != stamp) return;
  last_read_version_ = policy::policyContentVersion(*text);
  if (last_read_version_ != current->version) return;
  last_stamp_ = stamp;
  last_racy_ = isRacy(stamp);
}

PolicyWatcher::~PolicyWatcher() {
  stop();
}

void PolicyWatcher::start() {
  if (path_.empty() || options_.interval.count() <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void PolicyWatcher::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PolicyWatcher::run() {
  std::unique_lock lock(stop_mutex_);
  while (!stop_cv_.wait_for(lock, options_.interval, [this] { return stopping_; })) {
    lock.unlock();
    checkNow();
    lock.lock();
  }
}

PolicyWatcher::FileStamp PolicyWatcher::stampOf(const std::string& path, std::string* error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (error != nullptr) *error = std::strerror(errno);
    return FileStamp{};
  }
  return FileStamp{.exists = true,
                   .device = static_cast<uint64_t>(st.st_dev),
                   .inode = static_cast<uint64_t>(st.st_ino),
                   .size = static_cast<int64_t>(st.st_size),
                   .mtime_ns = nanos(st.st_mtim),
                   .ctime_ns = nanos(st.st_ctim)};
}

bool PolicyWatcher::isRacy(const FileStamp& stamp) const {
  if (!stamp.exists) return false;
  // File times come from the real-time clock (coarse-grained), whatever options_.now says.
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t changed_ns = std::max(stamp.mtime_ns, stamp.ctime_ns);
  return now_ns - changed_ns <
         std::chrono::duration_cast<std::chrono::nanoseconds>(options_.racy_window).count();
}

ReloadOutcome PolicyWatcher::checkNow() {
  std::lock_guard lock(check_mutex_);
  if (path_.empty()) return ReloadOutcome::kNotModified;
  const PolicyPtr current = holder_.current();

  std::string error;
  const FileStamp stamp = stampOf(path_, &error);
  const bool stamp_changed = !last_stamp_ || *last_stamp_ != stamp;
  if (!stamp_changed && !last_racy_) return ReloadOutcome::kNotModified;

  std::optional<std::string> text;
  if (stamp.exists) {
    text = readWhole(path_);
    if (!text) error = "cannot read it";
    // Rewritten while we read: the text may be half old, half new. Look again next time.
    if (text && stampOf(path_, nullptr) != stamp) {
      last_stamp_.reset();
      return ReloadOutcome::kNotModified;
    }
  }
  last_stamp_ = stamp;
  last_racy_ = isRacy(stamp);

  if (!text) {
    last_read_version_.clear();
    probe_.reloadRejected();
    log::warn(kComponent, path_ + ": cannot read the policy file (" + error + "); policy " +
                              current->version + " stays in force");
    return ReloadOutcome::kRejected;
  }

  std::string version = policy::policyContentVersion(*text);
  // Read again only because its change was recent, and the same as then: nothing happened.
  if (!stamp_changed && version == last_read_version_) return ReloadOutcome::kNotModified;
  last_read_version_ = version;
  if (version == current->version) {
    probe_.reloadUnchanged();
    return ReloadOutcome::kUnchanged;
  }

  Result<policy::Policy> parsed = policy::parsePolicy(*text, path_);
  if (!parsed) {
    probe_.reloadRejected();
    log::warn(kComponent, "rejected the changed policy file, policy " + current->version +
                              " stays in force: " + parsed.error().message());
    return ReloadOutcome::kRejected;
  }
  auto next = std::make_shared<const policy::Policy>(std::move(*parsed));
  const policy::PolicyDiff diff = policy::diffPolicies(*current, *next);
  holder_.replace(next);
  probe_.reloadApplied(*next, options_.now());
  log::info(kComponent, "applied " + path_ + ": policy " + current->version + " -> " +
                            next->version + ": " + describePolicyDiff(diff));
  return ReloadOutcome::kApplied;
}

}  // namespace switchboard::router
