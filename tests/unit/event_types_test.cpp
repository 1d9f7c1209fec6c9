#include "core/event_types.hpp"

#include "core/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hookd {
namespace {

std::vector<std::string> names(const std::vector<EventTypeEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.source + "/" + e.type);
  return out;
}

TEST(EventTypeCatalogTest, CountsEventsWithFirstAndLastSeen) {
  EventTypeCatalog c;
  EXPECT_TRUE(c.record("minio", "s3:ObjectCreated:Put", 2000));
  EXPECT_TRUE(c.record("minio", "s3:ObjectCreated:Put", 1000));  // out of order
  EXPECT_TRUE(c.record("minio", "s3:ObjectCreated:Put", 3000));
  ASSERT_EQ(c.size(), 1u);
  const EventTypeStats* s = c.find("minio", "s3:ObjectCreated:Put");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(*s, (EventTypeStats{3, 1000, 3000}));
  EXPECT_EQ(c.find("minio", "s3:ObjectRemoved:Delete"), nullptr);
  EXPECT_EQ(c.find("other", "s3:ObjectCreated:Put"), nullptr);
  EXPECT_EQ(c.dropped(), 0u);
}

TEST(EventTypeCatalogTest, ListsBySourceThenTypeBytewiseAndFiltersBySource) {
  EventTypeCatalog c;
  c.record("minio", "s3:b", 1);
  c.record("min", "z", 1);  // a prefix of another source's name
  c.record("minio", "s3:a", 1);
  c.record("catalog", "view.create", 1);
  c.record("minio", "S3:upper", 1);  // 'S' < 's' bytewise
  EXPECT_EQ(names(c.list()),
            (std::vector<std::string>{"catalog/view.create", "min/z", "minio/S3:upper",
                                      "minio/s3:a", "minio/s3:b"}));
  EXPECT_EQ(names(c.list("minio")),
            (std::vector<std::string>{"minio/S3:upper", "minio/s3:a", "minio/s3:b"}));
  EXPECT_EQ(names(c.list("min")), (std::vector<std::string>{"min/z"}));
  EXPECT_TRUE(c.list("nope").empty());
  EXPECT_TRUE(c.list("").empty());
}

TEST(EventTypeCatalogTest, CapRefusesNewPairsAndCountsTheirEvents) {
  EventTypeCatalog c(2);
  EXPECT_TRUE(c.record("a", "t1", 1));
  EXPECT_TRUE(c.record("a", "t2", 2));
  EXPECT_FALSE(c.has_room());
  EXPECT_FALSE(c.record("a", "t3", 3));
  EXPECT_FALSE(c.add("b", "t1", EventTypeStats{5, 1, 9}));
  // Pairs already there still count.
  EXPECT_TRUE(c.record("a", "t1", 4));
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.dropped(), 6u);  // one event of a/t3, five of b/t1
  EXPECT_EQ(c.find("a", "t1")->count, 2u);
  EXPECT_EQ(c.find("a", "t3"), nullptr);
  // Room again after an erase.
  EXPECT_TRUE(c.erase("a", "t2"));
  EXPECT_FALSE(c.erase("a", "t2"));
  EXPECT_TRUE(c.record("a", "t3", 5));
  EXPECT_EQ(names(c.list()), (std::vector<std::string>{"a/t1", "a/t3"}));
}

TEST(EventTypeCatalogTest, NeverCataloguesATypeNoParserLetsThrough) {
  EventTypeCatalog c;
  EXPECT_TRUE(EventTypeCatalog::acceptable(std::string(kMaxEventTypeBytes, 'x')));
  EXPECT_FALSE(EventTypeCatalog::acceptable(std::string(kMaxEventTypeBytes + 1, 'x')));
  EXPECT_FALSE(EventTypeCatalog::acceptable(std::string("a\0b", 3)));
  EXPECT_FALSE(c.record("a", std::string(kMaxEventTypeBytes + 1, 'x'), 1));
  EXPECT_FALSE(c.record("a", std::string("a\0b", 3), 1));
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.dropped(), 2u);
}

TEST(EventTypeCatalogTest, MergingADeltaSumsCountsAndWidensTheSeenRange) {
  EventTypeCatalog main;
  main.load("a", "t", EventTypeStats{10, 1000, 5000});
  EventTypeCatalog delta(SIZE_MAX);
  delta.record("a", "t", 6000);
  delta.record("a", "t", 500);
  delta.record("a", "new", 7000);
  delta.count_dropped(3);
  delta.for_each([&](const EventTypeEntry& e) { main.add(e.source, e.type, e.stats); });
  main.count_dropped(delta.dropped());
  EXPECT_EQ(*main.find("a", "t"), (EventTypeStats{12, 500, 6000}));
  EXPECT_EQ(*main.find("a", "new"), (EventTypeStats{1, 7000, 7000}));
  EXPECT_EQ(main.dropped(), 3u);
  // Merging nothing changes nothing.
  EventTypeStats s{2, 10, 20};
  s.merge(EventTypeStats{});
  EXPECT_EQ(s, (EventTypeStats{2, 10, 20}));
  EventTypeStats empty;
  empty.merge(s);
  EXPECT_EQ(empty, s);
}

TEST(EventTypeCatalogTest, LoadedPairsAreNotChangedNorCountedAsDropped) {
  EventTypeCatalog c(1);
  EXPECT_TRUE(c.load("a", "t1", EventTypeStats{4, 1, 2}));
  EXPECT_FALSE(c.load("a", "t2", EventTypeStats{9, 1, 2}));  // over the cap
  EXPECT_EQ(c.changed(), 0u);
  EXPECT_EQ(c.dropped(), 0u);
  EXPECT_TRUE(c.take_changed().empty());
}

TEST(EventTypeCatalogTest, TakeChangedReturnsEachChangedPairOnceUntilMarkedAgain) {
  EventTypeCatalog c;
  c.load("a", "old", EventTypeStats{1, 1, 1});
  c.record("a", "t1", 10);
  c.record("a", "t1", 20);
  c.record("b", "t2", 30);
  EXPECT_EQ(c.changed(), 2u);
  auto first = c.take_changed();
  EXPECT_EQ(first,
            (std::vector<EventTypeEntry>{{"a", "t1", {2, 10, 20}}, {"b", "t2", {1, 30, 30}}}));
  EXPECT_EQ(c.changed(), 0u);
  EXPECT_TRUE(c.take_changed().empty());
  // A failed flush puts the marks back; unknown pairs are ignored.
  c.mark_changed("a", "t1");
  c.mark_changed("a", "t1");
  c.mark_changed("z", "none");
  EXPECT_EQ(c.changed(), 1u);
  c.record("a", "old", 40);
  EXPECT_EQ(names(c.take_changed()), (std::vector<std::string>{"a/old", "a/t1"}));
  // Erasing a changed pair forgets its mark.
  c.record("b", "t2", 50);
  EXPECT_TRUE(c.erase("b", "t2"));
  EXPECT_EQ(c.changed(), 0u);
}

TEST(EventTypeCatalogTest, LastSeenBeforeNamesOnlyStalePairs) {
  EventTypeCatalog c;
  c.record("a", "stale", 100);
  c.record("a", "fresh", 100);
  c.record("a", "fresh", 900);
  c.record("b", "edge", 500);
  EXPECT_EQ(c.last_seen_before(500),
            (std::vector<std::pair<std::string, std::string>>{{"a", "stale"}}));
  c.clear();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_TRUE(c.last_seen_before(1000).empty());
}

}  // namespace
}  // namespace hookd
