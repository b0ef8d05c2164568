// Hot reload of the routing policy file. Every `interval` (or on checkNow()) the watcher looks
// at the file: when its metadata (inode, size, mtime, ctime) is what it saw last, it is left
// alone; otherwise it is read, and content whose version (content hash) is the policy in
// force is "unchanged". New content is parsed and validated completely; a valid policy
// replaces the holder's (the diff against the old one is logged), an invalid or unreadable
// file is "rejected": the error (file:line:col) is logged and the old policy stays in force.
// A file changed within `racy_window` of a check is read again at the next check even if its
// metadata looks the same, because file-system timestamps are coarse (milliseconds) and a
// same-size rewrite in the same tick would otherwise go unseen (git's "racy clean" problem).
//
// Lifecycle: construct after the holder (which holds the policy loaded from `path` at start-up,
// or the built-in one with an empty `path`: then nothing is ever checked, but the metrics still
// describe the policy in force); start() runs the background thread; the destructor stops it.
// Thread-safe: checkNow() may be called from any thread (e.g. on SIGHUP) besides the watcher's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "core/metrics/metrics_registry.h"
#include "router/policy/policy_diff.h"
#include "router/reload/policy_holder.h"
#include "router/reload/policy_reload_probe.h"

namespace switchboard::router {

struct PolicyWatcherOptions {
  // Time between checks of the file; zero: no background thread (checkNow() only).
  std::chrono::milliseconds interval = std::chrono::seconds(2);
  // A file whose last change is younger than this at a check is read again next time.
  std::chrono::milliseconds racy_window = std::chrono::seconds(2);
  // The clock of the "last success" timestamp.
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

enum class ReloadOutcome {
  kNotModified,  // metadata as at the last check: not read, not counted
  kUnchanged,    // read; same content as the policy in force
  kApplied,      // a new valid policy is in force
  kRejected,     // unreadable or invalid: the previous policy stays in force
};
std::string_view reloadOutcomeName(ReloadOutcome outcome);

// One line for the log: "queues added [a]; queues changed [b, c]; defaults changed", or
// "no routing change" (comments, formatting).
std::string describePolicyDiff(const policy::PolicyDiff& diff);

class PolicyWatcher {
 public:
  PolicyWatcher(PolicyHolder& holder, std::string path, metrics::MetricsRegistry& metrics,
                PolicyWatcherOptions options = {});
  ~PolicyWatcher();
  PolicyWatcher(const PolicyWatcher&) = delete;
  PolicyWatcher& operator=(const PolicyWatcher&) = delete;

  // Starts the background checks (nothing when the path is empty or the interval is zero).
  void start();
  // Stops them; idempotent, also done by the destructor.
  void stop();

  // Checks the file once, now, on the calling thread.
  ReloadOutcome checkNow();

 private:
  // What the file looked like at the last check.
  struct FileStamp {
    bool exists = false;
    uint64_t device = 0;
    uint64_t inode = 0;
    int64_t size = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };
  static FileStamp stampOf(const std::string& path, std::string* error);
  bool isRacy(const FileStamp& stamp) const;
  void run();

  PolicyHolder& holder_;
  const std::string path_;
  const PolicyWatcherOptions options_;
  PolicyReloadProbe probe_;

  std::mutex check_mutex_;  // one check at a time
  std::optional<FileStamp> last_stamp_;
  bool last_racy_ = true;
  std::string last_read_version_;  // content version of the last text read

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace switchboard::router
