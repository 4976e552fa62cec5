#include "ingest/ingest_service.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <future>

#include "ingest/stream_test_util.h"
#include "schema/record_decoder.h"
#include "schema/schema.h"

namespace lagoa::ingest {
namespace {

class IngestServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(streams_.ok()); }

  void CreateStream(const std::string& name, const std::string& columns, bool infer = false) {
    streams_.Create(name, columns, infer);
  }

  Result<AppendOutcome> Post(IngestService& service, const std::string& stream, std::string body,
                             const std::string& content_type = "application/x-ndjson") {
    std::promise<Result<AppendOutcome>> reply;
    BodyFormat format = DetectBodyFormat(content_type, body);
    service.AppendJson({stream, std::move(body), format},
                       [&reply](Result<AppendOutcome> r) { reply.set_value(std::move(r)); });
    return reply.get_future().get();
  }

  static StatusCode CodeOf(const Result<AppendOutcome>& r) { return r.ok() ? StatusCode::kOk : r.status().code(); }

  // Every event of a stream's partition 0 as JSON objects.
  std::vector<std::string> ReadAll(const std::string& stream) {
    auto h = registry_->Find(stream);
    EXPECT_TRUE(h.has_value());
    std::vector<std::string> out;
    auto reader = h->log->partition(PartitionId(0))->OpenReader(Offset(0));
    EXPECT_TRUE(reader.ok());
    for (;;) {
      auto records = (*reader)->Next(1 << 20);
      EXPECT_TRUE(records.ok());
      if (!records.ok() || records->empty()) break;
      for (const auto& rec : *records) {
        std::string json;
        const schema::Schema* s = h->definition->version(rec.schema_version);
        EXPECT_NE(s, nullptr);
        EXPECT_TRUE(schema::AppendRecordJson(rec.payload, *s, json).ok());
        out.push_back(json);
      }
    }
    return out;
  }

  testing_util::TestStreams streams_{"ingest"};
  StreamRegistry* const registry_ = streams_.registry();
};

TEST_F(IngestServiceTest, AcceptsGoodLinesAndSendsBadOnesToTheDeadLetterStream) {
  CreateStream("clicks", "user_id BIGINT NOT NULL, url VARCHAR");
  IngestService service(registry_, {});
  Result<AppendOutcome> outcome = Post(service, "clicks",
                                       "{\"user_id\":1,\"url\":\"/a\"}\n"
                                       "{\"user_id\":\"one\"}\n"
                                       "\n"
                                       "{\"user_id\":2}\n"
                                       "{not json\n");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->accepted, 2u);
  EXPECT_EQ(outcome->rejected, 2u);
  EXPECT_EQ(outcome->first_offset, Offset(0));
  EXPECT_EQ(outcome->last_offset, Offset(1));
  EXPECT_TRUE(outcome->dead_letter_status.ok()) << outcome->dead_letter_status.ToString();
  ASSERT_EQ(outcome->errors.size(), 2u);
  EXPECT_EQ(outcome->errors[0].line, 2u);
  EXPECT_EQ(outcome->errors[1].line, 5u);

  auto events = ReadAll("clicks");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[0].find("\"/a\""), std::string::npos) << events[0];
  auto dead = ReadAll("clicks.dlq");
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_NE(dead[0].find("\"line\":2"), std::string::npos) << dead[0];
  EXPECT_NE(dead[0].find("{\\\"user_id\\\":\\\"one\\\"}"), std::string::npos) << dead[0];
  EXPECT_NE(dead[1].find("{not json"), std::string::npos) << dead[1];
}

TEST_F(IngestServiceTest, AllLinesRejectedIsAnOutcomeAndUnknownStreamIsNotFound) {
  CreateStream("s", "n BIGINT NOT NULL");
  IngestService service(registry_, {});
  Result<AppendOutcome> all_bad = Post(service, "s", "{\"n\":1.5}\n{\"m\":1}\n");
  ASSERT_TRUE(all_bad.ok()) << all_bad.status().ToString();
  EXPECT_EQ(all_bad->accepted, 0u);
  EXPECT_EQ(all_bad->rejected, 2u);
  EXPECT_FALSE(all_bad->first_offset.has_value());
  EXPECT_EQ(ReadAll("s.dlq").size(), 2u);
  EXPECT_EQ(CodeOf(Post(service, "nope", "{}")), StatusCode::kNotFound);
  EXPECT_EQ(CodeOf(Post(service, "s", "  \n")), StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(Post(service, "s.dlq", "{}")), StatusCode::kInvalidArgument);
}

TEST_F(IngestServiceTest, TypedRecordsAreAppendedAsTheyAreForAKnownSchemaVersion) {
  CreateStream("typed", "n BIGINT");
  IngestService service(registry_, {});
  Bytes record;  // one column, present: 1, 0b1, n = 42
  PutVarint(record, 1);
  record.push_back(std::byte{1});
  PutFixed<int64_t>(record, 42);
  RecordAppend request{"typed", log::BatchBuilder(SchemaVersion(1))};
  request.batch.Add(1'000'000, record);
  request.batch.Add(2'000'000, record);
  Result<AppendOutcome> outcome = service.AppendRecordsAndWait(std::move(request));
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->accepted, 2u);
  EXPECT_EQ(outcome->last_offset, Offset(1));
  EXPECT_EQ(ReadAll("typed"), (std::vector<std::string>{"{\"n\":42}", "{\"n\":42}"}));

  RecordAppend unknown_version{"typed", log::BatchBuilder(SchemaVersion(2))};
  unknown_version.batch.Add(0, record);
  Result<AppendOutcome> refused = service.AppendRecordsAndWait(std::move(unknown_version));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("no schema version 2"), std::string::npos) << refused.status().ToString();
  RecordAppend missing{"missing", log::BatchBuilder(SchemaVersion(1))};
  missing.batch.Add(0, record);
  EXPECT_EQ(service.AppendRecordsAndWait(std::move(missing)).status().code(), StatusCode::kNotFound);
}

TEST_F(IngestServiceTest, InferenceAddsColumnsAndKeepsOneSchemaVersionPerBatch) {
  CreateStream("inf", "", true);
  IngestService service(registry_, {});
  Result<AppendOutcome> outcome = Post(service, "inf", "{\"a\":1}\n{\"a\":2,\"b\":\"x\"}\n{\"a\":\"wrong\"}\n");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->accepted, 2u);
  auto h = registry_->Find("inf");
  ASSERT_TRUE(h.has_value());
  const auto& latest = h->definition->latest();
  ASSERT_EQ(latest.fields.size(), 2u);
  EXPECT_EQ(latest.fields[0].name, "a");
  EXPECT_EQ(latest.fields[1].name, "b");
  auto events = ReadAll("inf");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[1].find("\"x\""), std::string::npos) << events[1];
}

TEST_F(IngestServiceTest, AutoCreateMakesAnInferredStream) {
  IngestOptions options;
  options.auto_create_streams = true;
  IngestService service(registry_, options);
  Result<AppendOutcome> outcome = Post(service, "fresh", "[{\"k\":true},{\"k\":false}]", "application/json");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(ReadAll("fresh").size(), 2u);
  ASSERT_TRUE(registry_->Find("fresh.dlq").has_value());
}

TEST_F(IngestServiceTest, AutoCreateRefusesANameATableHolds) {
  IngestOptions options;
  options.auto_create_streams = true;
  options.check_new_name = [](std::string_view name) {
    return name == "taken" ? Status::AlreadyExists("\"taken\" is the name of a table") : Status::Ok();
  };
  IngestService service(registry_, options);
  Result<AppendOutcome> refused = Post(service, "taken", "{\"k\":1}\n");
  EXPECT_EQ(CodeOf(refused), StatusCode::kAlreadyExists);
  EXPECT_NE(refused.status().message().find("is the name of a table"), std::string::npos)
      << refused.status().ToString();
  EXPECT_FALSE(registry_->Find("taken").has_value());
  EXPECT_EQ(CodeOf(Post(service, "free", "{\"k\":1}\n")), StatusCode::kOk);
}

TEST_F(IngestServiceTest, StreamNamesThatDifferOnlyInCaseAreRefused) {
  CreateStream("Clicks", "k BIGINT");
  schema::StreamDefinition def;
  def.name = "clicks";
  def.versions.push_back(schema::Schema{SchemaVersion(1), {{"k", schema::Type::BigInt(), true}}});
  auto refused = registry_->Create(def);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(refused.status().message().find("\"Clicks\""), std::string::npos) << refused.status().ToString();
  EXPECT_FALSE(registry_->Find("clicks").has_value());
  EXPECT_FALSE(registry_->Find("clicks.dlq").has_value());
  // The same name again is the catalog's own answer, as before.
  def.name = "Clicks";
  EXPECT_EQ(registry_->Create(def).status().code(), StatusCode::kAlreadyExists);
  // Auto-creation on ingest says why instead of "does not exist".
  IngestOptions options;
  options.auto_create_streams = true;
  IngestService service(registry_, options);
  Result<AppendOutcome> other_case = Post(service, "clicks", "{\"k\":1}\n");
  EXPECT_EQ(CodeOf(other_case), StatusCode::kAlreadyExists);
  EXPECT_NE(other_case.status().message().find("differs only in case"), std::string::npos)
      << other_case.status().ToString();
  EXPECT_EQ(CodeOf(Post(service, "Clicks", "{\"k\":1}\n")), StatusCode::kOk);
}

}  // namespace
}  // namespace lagoa::ingest
