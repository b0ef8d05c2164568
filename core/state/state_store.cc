#include "core/state/state_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <filesystem>

namespace switchboard::state {
namespace {

std::string partitionPrefix(int32_t partition) {
  // Big-endian so that partitions sort in order and a prefix never matches another partition.
  uint32_t p = static_cast<uint32_t>(partition);
  std::string out(4, '\0');
  out[0] = static_cast<char>((p >> 24) & 0xff);
  out[1] = static_cast<char>((p >> 16) & 0xff);
  out[2] = static_cast<char>((p >> 8) & 0xff);
  out[3] = static_cast<char>(p & 0xff);
  return out;
}

Error storeError(const rocksdb::Status& s, std::string_view what) {
  return makeError(Errc::kIo, std::string(what) + ": " + s.ToString());
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::open(const std::string& directory,
                                                     Options options) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return makeError(Errc::kIo, "state directory " + directory + ": " + ec.message());
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.IncreaseParallelism(2);
  db_options.OptimizeLevelStyleCompaction(64 << 20);
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, directory, &db);
  if (!s.ok()) return storeError(s, "open state store " + directory);
  return std::unique_ptr<StateStore>(new StateStore(db, options));
}

StateStore::StateStore(rocksdb::DB* db, Options options) : db_(db), options_(options) {}

StateStore::~StateStore() = default;

Result<std::optional<std::string>> StateStore::get(int32_t partition, std::string_view key) const {
  std::string full = partitionPrefix(partition);
  full.append(key);
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), full, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return storeError(s, "read state");
  return std::optional<std::string>(std::move(value));
}

Status StateStore::scan(
    int32_t partition, std::string_view prefix,
    const std::function<void(std::string_view, std::string_view)>& visit) const {
  std::string start = partitionPrefix(partition);
  start.append(prefix);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(start); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (!k.starts_with(start)) break;
    visit(std::string_view(k.data() + 4, k.size() - 4),
          std::string_view(it->value().data(), it->value().size()));
  }
  if (!it->status().ok()) return storeError(it->status(), "scan state");
  return okStatus();
}

Status StateStore::write(int32_t partition, const WriteSet& writes, bool clear_first) {
  rocksdb::WriteBatch batch;
  std::string prefix = partitionPrefix(partition);
  if (clear_first) {
    std::string end = partitionPrefix(partition + 1);
    batch.DeleteRange(prefix, end);
  }
  std::string key;
  for (const auto& [k, v] : writes) {
    key.assign(prefix);
    key.append(k);
    if (v) {
      batch.Put(key, *v);
    } else {
      batch.Delete(key);
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::Status s = db_->Write(wo, &batch);
  if (!s.ok()) return storeError(s, "write state");
  return okStatus();
}

}  // namespace switchboard::state
