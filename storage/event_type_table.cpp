#include "storage/event_type_table.hpp"

#include "storage/codec.hpp"
#include "storage/group_writer.hpp"

#include <rocksdb/iterator.h>

#include <algorithm>
#include <future>

namespace hookd::storage {

std::string event_type_key(std::string_view source, std::string_view type) {
  std::string out;
  out.reserve(source.size() + 1 + type.size());
  out.append(source);
  out.push_back('\0');
  out.append(type);
  return out;
}

bool parse_event_type_key(std::string_view key, std::string_view* source, std::string_view* type) {
  auto nul = key.find('\0');
  if (nul == std::string_view::npos) return false;
  *source = key.substr(0, nul);
  *type = key.substr(nul + 1);
  return true;
}

namespace {
constexpr std::size_t kStatsBytes = 1 + 3 * 8;
}  // namespace

std::string encode_event_type_stats(const EventTypeStats& stats) {
  std::string out;
  out.reserve(kStatsBytes);
  out.push_back(static_cast<char>(kCodecVersion));
  put_fixed64_be(out, stats.count);
  put_fixed64_be(out, static_cast<std::uint64_t>(stats.first_seen_ms));
  put_fixed64_be(out, static_cast<std::uint64_t>(stats.last_seen_ms));
  return out;
}

result<EventTypeStats> decode_event_type_stats(std::string_view bytes) {
  if (bytes.size() != kStatsBytes || static_cast<std::uint8_t>(bytes[0]) != kCodecVersion)
    return storage_errc::invalid_record;
  EventTypeStats s;
  s.count = get_fixed64_be(bytes.data() + 1);
  s.first_seen_ms = static_cast<std::int64_t>(get_fixed64_be(bytes.data() + 9));
  s.last_seen_ms = static_cast<std::int64_t>(get_fixed64_be(bytes.data() + 17));
  return s;
}

result<std::vector<EventTypeEntry>> read_event_types(Database& db) {
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db.db().NewIterator(options, db.event_types()));
  std::vector<EventTypeEntry> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view source, type;
    if (!parse_event_type_key(view(it->key()), &source, &type)) return storage_errc::invalid_record;
    auto stats = decode_event_type_stats(view(it->value()));
    if (!stats) return stats.error();
    out.push_back({std::string(source), std::string(type), *stats});
  }
  if (auto ec = to_error_code(it->status())) return ec;
  return out;
}

EventTypeTable::EventTypeTable(Database& db, std::size_t max_pairs)
    : db_(db), catalog_(max_pairs) {}

result<std::unique_ptr<EventTypeTable>> EventTypeTable::load(Database& db, std::size_t max_pairs,
                                                             std::string* why) {
  auto stored = read_event_types(db);
  if (!stored) {
    if (why)
      *why = "reading the event-type catalog: " + stored.error().message() +
             " (set [storage] event_types = false to start without it)";
    return stored.error();
  }
  std::unique_ptr<EventTypeTable> table(new EventTypeTable(db, max_pairs));
  for (const EventTypeEntry& e : *stored) {
    if (!table->catalog_.has_room()) break;
    table->catalog_.load(e.source, e.type, e.stats);
  }
  return table;
}

error_code EventTypeTable::stage(const std::vector<IngestRecord>& records,
                                 rocksdb::WriteBatch& batch, Staged& staged) {
  // Pairs this request puts: few, so a linear search beats a set.
  std::vector<std::pair<std::string_view, std::string_view>> fresh;
  auto known = [&](const Event& e) {
    return catalog_.contains(e.source, e.type) || staged.delta.contains(e.source, e.type) ||
           std::find(fresh.begin(), fresh.end(),
                     std::pair(std::string_view(e.source), std::string_view(e.type))) !=
               fresh.end();
  };
  for (const IngestRecord& r : records) {
    const Event& e = r.event;
    if (!r.catalog || !EventTypeCatalog::acceptable(e.type) || known(e)) continue;
    if (!catalog_.has_room(staged.new_pairs + fresh.size() + 1)) continue;
    EventTypeStats first{1, e.received_ms, e.received_ms};
    auto s = batch.Put(db_.event_types(), event_type_key(e.source, e.type),
                       encode_event_type_stats(first));
    if (auto ec = to_error_code(s)) return ec;
    fresh.emplace_back(e.source, e.type);
  }
  // Every put is in the batch: only now does `staged` change.
  for (const IngestRecord& r : records) {
    if (!r.catalog) continue;
    const Event& e = r.event;
    if (EventTypeCatalog::acceptable(e.type) && known(e))
      staged.delta.record(e.source, e.type, e.received_ms);
    else
      staged.delta.count_dropped(1);
  }
  staged.new_pairs += fresh.size();
  return {};
}

void EventTypeTable::commit(Staged& staged, bool written) {
  if (written && (staged.delta.size() > 0 || staged.delta.dropped() > 0)) {
    std::lock_guard lock(mu_);
    staged.delta.for_each(
        [this](const EventTypeEntry& e) { catalog_.add(e.source, e.type, e.stats); });
    catalog_.count_dropped(staged.delta.dropped());
  }
  staged.delta.clear();
  staged.new_pairs = 0;
}

std::vector<EventTypeEntry> EventTypeTable::take_changed(rocksdb::WriteBatch& batch) {
  std::vector<EventTypeEntry> changed;
  {
    std::lock_guard lock(mu_);
    changed = catalog_.take_changed();
  }
  for (const EventTypeEntry& e : changed) {
    auto s = batch.Put(db_.event_types(), event_type_key(e.source, e.type),
                       encode_event_type_stats(e.stats));
    // A batch that cannot take a put is not written: keep them all changed.
    if (!s.ok()) {
      restore(changed);
      return {};
    }
  }
  return changed;
}

void EventTypeTable::restore(const std::vector<EventTypeEntry>& entries) {
  std::lock_guard lock(mu_);
  for (const EventTypeEntry& e : entries) catalog_.mark_changed(e.source, e.type);
}

result<std::uint64_t> EventTypeTable::expire(GroupWriter& writer, std::int64_t cutoff_ms) {
  auto stored = read_event_types(db_);
  if (!stored) return stored.error();
  auto stale = std::make_shared<std::vector<EventTypeEntry>>();
  for (EventTypeEntry& e : *stored)
    if (e.stats.last_seen_ms < cutoff_ms) stale->push_back(std::move(e));
  if (stale->empty()) return std::uint64_t{0};
  // Shared with the job: the promise must live until set_value returns.
  auto promise = std::make_shared<std::promise<result<std::uint64_t>>>();
  auto future = promise->get_future();
  error_code posted = writer.post([this, &writer, stale, promise, cutoff_ms] {
    // The catalog is ahead of the disk: a pair seen again since the scan
    // (or whose newer count is not flushed yet) stays.
    rocksdb::WriteBatch batch;
    std::vector<const EventTypeEntry*> gone;
    for (const EventTypeEntry& e : *stale) {
      const EventTypeStats* now = catalog_.find(e.source, e.type);
      if (now && now->last_seen_ms >= cutoff_ms) continue;
      if (!batch.Delete(db_.event_types(), event_type_key(e.source, e.type)).ok()) {
        promise->set_value(error_code(storage_errc::io_error));
        return;
      }
      gone.push_back(&e);
    }
    if (gone.empty()) {
      promise->set_value(std::uint64_t{0});
      return;
    }
    if (auto ec = writer.commit(batch)) {
      promise->set_value(ec);
      return;
    }
    {
      std::lock_guard lock(mu_);
      for (const EventTypeEntry* e : gone) catalog_.erase(e->source, e->type);
    }
    promise->set_value(std::uint64_t{gone.size()});
  });
  if (posted) return posted;
  return future.get();
}

EventTypeListing EventTypeTable::listing(std::optional<std::string_view> source) const {
  EventTypeListing out;
  std::lock_guard lock(mu_);
  out.entries = catalog_.list(source);
  out.dropped = catalog_.dropped();
  out.max_pairs = catalog_.max_pairs();
  return out;
}

std::size_t EventTypeTable::size() const {
  std::lock_guard lock(mu_);
  return catalog_.size();
}

std::uint64_t EventTypeTable::dropped() const {
  std::lock_guard lock(mu_);
  return catalog_.dropped();
}

}  // namespace hookd::storage
