#include "core/router.hpp"

#include <gtest/gtest.h>

namespace hookd {
namespace {

using Indices = std::vector<std::size_t>;

Event minio_event(std::string type, std::string bucket, std::string key) {
  Event ev;
  ev.source = "minio";
  ev.format = Format::minio;
  ev.type = std::move(type);
  ev.attrs.bucket = std::move(bucket);
  ev.attrs.object_key = std::move(key);
  return ev;
}

Event opteryx_event(std::string type, std::optional<std::string> collection) {
  Event ev;
  ev.source = "catalog";
  ev.format = Format::opteryx;
  ev.type = std::move(type);
  ev.attrs.workspace = "acme";
  ev.attrs.collection = std::move(collection);
  ev.attrs.resource_type = ev.type.substr(0, ev.type.find('.'));
  return ev;
}

SubscriptionConfig sub(std::string name, std::vector<std::string> events = {},
                       std::vector<std::string> sources = {}) {
  SubscriptionConfig s;
  s.name = std::move(name);
  s.url = "https://example.test/hook";
  s.events = std::move(events);
  s.sources = std::move(sources);
  return s;
}

TEST(TypeMatchesTest, ExactTypeMatches) {
  EXPECT_TRUE(type_matches("s3:ObjectCreated:Put", "s3:ObjectCreated:Put"));
  EXPECT_TRUE(type_matches("dataset.create", "dataset.create"));
  EXPECT_FALSE(type_matches("s3:ObjectCreated:Put", "s3:ObjectCreated:Copy"));
  EXPECT_FALSE(type_matches("dataset.create", "Dataset.create"));
}

TEST(TypeMatchesTest, StarMatchesExactlyOneWholeSegment) {
  EXPECT_TRUE(type_matches("s3:ObjectCreated:*", "s3:ObjectCreated:Put"));
  EXPECT_TRUE(type_matches("s3:*:Delete", "s3:ObjectRemoved:Delete"));
  EXPECT_TRUE(type_matches("*.delete", "view.delete"));
  EXPECT_TRUE(type_matches("dataset.*", "dataset.rename"));
  EXPECT_TRUE(type_matches("*", "generic"));
  EXPECT_FALSE(type_matches("s3:*", "s3:ObjectCreated:Put"));
  EXPECT_FALSE(type_matches("*", "view.delete"));
  EXPECT_FALSE(type_matches("s3:ObjectCreated:P*", "s3:ObjectCreated:Put"));
}

TEST(TypeMatchesTest, SegmentCountMustMatch) {
  EXPECT_FALSE(type_matches("s3:ObjectCreated:Put:*", "s3:ObjectCreated:Put"));
  EXPECT_FALSE(type_matches("s3:ObjectCreated", "s3:ObjectCreated:Put"));
  EXPECT_TRUE(type_matches("com.example.*.created", "com.example.order.created"));
}

TEST(FilterMatchesTest, EmptyFilterMatchesEverything) {
  EXPECT_TRUE(filter_matches({}, minio_event("s3:ObjectCreated:Put", "b", "k").attrs));
  EXPECT_TRUE(filter_matches({}, EventAttributes{}));
}

TEST(FilterMatchesTest, BucketPrefixAndSuffixOnDecodedKey) {
  SubscriptionFilter f;
  f.bucket = "photos";
  f.prefix = "uploads/";
  f.suffix = ".jpg";
  EXPECT_TRUE(
      filter_matches(f, minio_event("t", "photos", "uploads/Sommer K\xC3\xB6ln.jpg").attrs));
  EXPECT_FALSE(filter_matches(f, minio_event("t", "photos2", "uploads/a.jpg").attrs));
  EXPECT_FALSE(filter_matches(f, minio_event("t", "photos", "other/a.jpg").attrs));
  EXPECT_FALSE(filter_matches(f, minio_event("t", "photos", "uploads/a.png").attrs));
  EXPECT_FALSE(filter_matches(f, minio_event("t", "photos", "uploads%2Fa.jpg").attrs));
}

TEST(FilterMatchesTest, FilterOnMissingAttributeFails) {
  SubscriptionFilter bucket;
  bucket.bucket = "photos";
  EXPECT_FALSE(filter_matches(bucket, opteryx_event("dataset.create", "sales").attrs));
  SubscriptionFilter collection;
  collection.collection = "sales";
  EXPECT_FALSE(filter_matches(collection, opteryx_event("workspace.lock", std::nullopt).attrs));
  EXPECT_FALSE(filter_matches(collection, minio_event("t", "sales", "k").attrs));
}

TEST(FilterMatchesTest, OpteryxFieldsAreExact) {
  SubscriptionFilter f;
  f.workspace = "acme";
  f.collection = "sales";
  f.resource_type = "view";
  EXPECT_TRUE(filter_matches(f, opteryx_event("view.update", "sales").attrs));
  EXPECT_FALSE(filter_matches(f, opteryx_event("dataset.update", "sales").attrs));
  EXPECT_FALSE(filter_matches(f, opteryx_event("view.update", "sales2").attrs));
  f.workspace = "acm";
  EXPECT_FALSE(filter_matches(f, opteryx_event("view.update", "sales").attrs));
}

TEST(RouterTest, EmptyEventsAndSourcesMatchEverything) {
  Router router({sub("all")});
  EXPECT_EQ(router.match(minio_event("s3:ObjectCreated:Put", "b", "k")), Indices{0});
  EXPECT_EQ(router.match(opteryx_event("view.create", "sales")), Indices{0});
}

TEST(RouterTest, MatchesInConfigOrder) {
  Router router({sub("deletes", {"s3:ObjectRemoved:*"}), sub("created", {"s3:ObjectCreated:*"}),
                 sub("puts", {"s3:ObjectCreated:Put", "s3:ObjectCreated:Copy"}), sub("all")});
  EXPECT_EQ(router.match(minio_event("s3:ObjectCreated:Put", "b", "k")), (Indices{1, 2, 3}));
  EXPECT_EQ(router.match(minio_event("s3:ObjectCreated:Copy", "b", "k")), (Indices{1, 2, 3}));
  EXPECT_EQ(router.match(minio_event("s3:ObjectRemoved:Delete", "b", "k")), (Indices{0, 3}));
}

TEST(RouterTest, SourcesRestrictMatches) {
  Router router({sub("minio-only", {}, {"minio"}), sub("both", {}, {"catalog", "minio"})});
  EXPECT_EQ(router.match(minio_event("s3:ObjectCreated:Put", "b", "k")), (Indices{0, 1}));
  EXPECT_EQ(router.match(opteryx_event("view.create", "sales")), Indices{1});
}

TEST(RouterTest, PrefixFilterSkipsOtherBuckets) {
  SubscriptionConfig thumbs = sub("thumbnails", {"s3:ObjectCreated:*"}, {"minio"});
  thumbs.filter.bucket = "photos";
  thumbs.filter.prefix = "uploads/";
  Router router({thumbs});
  EXPECT_EQ(router.match(minio_event("s3:ObjectCreated:Put", "photos", "uploads/a.jpg")),
            Indices{0});
  EXPECT_TRUE(
      router.match(minio_event("s3:ObjectCreated:Put", "backups", "uploads/a.jpg")).empty());
  EXPECT_TRUE(router.match(minio_event("s3:ObjectCreated:Put", "photos", "tmp/a.jpg")).empty());
}

TEST(RouterTest, DisabledSubscriptionNeverMatches) {
  SubscriptionConfig off = sub("off");
  off.enabled = false;
  Router router({off, sub("on")});
  EXPECT_EQ(router.match(minio_event("s3:ObjectCreated:Put", "b", "k")), Indices{1});
}

TEST(RouterTest, NoSubscriptionsMatchNothing) {
  Router router({});
  EXPECT_TRUE(router.match(opteryx_event("view.create", "sales")).empty());
}

}  // namespace
}  // namespace hookd
