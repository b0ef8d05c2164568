// A stage's local state: RocksDB, one database per stage and process, with a key space per
// task partition (keys are prefixed with the partition number). Writes are atomic batches, so
// state and the input positions it reflects are saved together or not at all. Not thread-safe
// by design: the stage runner's single thread is its only user.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rocksdb {
class DB;
}

namespace switchboard::state {

// Pending changes to one partition: key → value, or key → nullopt for a delete. Ordered, so
// that changelog batches and scans are deterministic.
using WriteSet = std::map<std::string, std::optional<std::string>, std::less<>>;

class StateStore {
 public:
  struct Options {
    // fsync the write-ahead log on every batch. Off by default: a process crash loses nothing
    // either way; after a machine crash the changelog restores what the local store missed.
    bool sync_writes = false;
  };
  static Result<std::unique_ptr<StateStore>> open(const std::string& directory, Options options);
  ~StateStore();

  Result<std::optional<std::string>> get(int32_t partition, std::string_view key) const;
  // Visits keys of `partition` starting with `prefix` in key order.
  Status scan(int32_t partition, std::string_view prefix,
              const std::function<void(std::string_view, std::string_view)>& visit) const;
  // Applies `writes` atomically; with `clear_first` the partition's keys are removed first
  // (in the same atomic batch): used to apply a snapshot.
  Status write(int32_t partition, const WriteSet& writes, bool clear_first = false);

 private:
  StateStore(rocksdb::DB* db, Options options);
  std::unique_ptr<rocksdb::DB> db_;
  Options options_;
};

}  // namespace switchboard::state
