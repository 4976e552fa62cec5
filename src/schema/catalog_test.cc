#include "schema/catalog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace lagoa::schema {
namespace {

namespace fs = std::filesystem;

// A fresh directory under $LAGOA_TEST_TMPDIR (or /tmp), removed when the test ends.
class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* env = std::getenv("LAGOA_TEST_TMPDIR");
    fs::path base = env != nullptr && *env != '\0' ? fs::path(env) : fs::temp_directory_path();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::random_device random;
    root_ = base / DirName(info->name(), random());
    fs::create_directories(root_);
    dir_ = root_ / "catalog";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  static std::string DirName(std::string_view test, unsigned nonce) {
    std::ostringstream out;
    out << "catalog_test-" << test << "-" << ::getpid() << "-" << nonce;
    return out.str();
  }

  std::unique_ptr<Catalog> OpenOrDie() {
    auto catalog = Catalog::Open(dir_);
    EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
    return catalog.ok() ? std::move(catalog).value() : nullptr;
  }

  static StreamDefinition Simple(std::string name, std::string_view columns = "id BIGINT NOT NULL, ts TIMESTAMPTZ") {
    StreamDefinition def;
    def.name = std::move(name);
    auto fields = ParseColumns(columns);
    EXPECT_TRUE(fields.ok()) << fields.status().ToString();
    def.versions.push_back(Schema{SchemaVersion(1), fields.ok() ? *fields : std::vector<Field>{}});
    def.created_us = 1714564800123456;  // 2024-05-01T12:00:00.123456Z
    return def;
  }

  static void WriteFile(const fs::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }

  static std::string ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

  fs::path root_;
  fs::path dir_;
};

Field Nullable(std::string name, Type type) { return Field{std::move(name), std::move(type), true}; }

TEST_F(CatalogTest, OpenCreatesTheDirectoryAndStartsEmpty) {
  ASSERT_FALSE(fs::exists(dir_));
  auto catalog = OpenOrDie();
  ASSERT_NE(catalog, nullptr);
  EXPECT_TRUE(fs::is_directory(dir_));
  EXPECT_TRUE(catalog->List().empty());
  EXPECT_EQ(catalog->Find("clicks"), nullptr);
}

TEST_F(CatalogTest, CreateFindListAndDrop) {
  auto catalog = OpenOrDie();
  ASSERT_NE(catalog, nullptr);
  for (std::string name : {"views", "clicks", "a.dlq", "Zeta"}) {
    auto created = catalog->Create(Simple(name));
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    EXPECT_EQ((*created)->name, name);
    EXPECT_TRUE(fs::exists(dir_ / (name + ".json")));
  }
  auto found = catalog->Find("clicks");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->latest().fields.size(), 2u);
  EXPECT_EQ(catalog->Find("CLICKS"), nullptr) << "stream names are case-sensitive";
  EXPECT_EQ(catalog->Find("click"), nullptr);

  std::vector<std::string> names;
  for (const auto& def : catalog->List()) names.push_back(def->name);
  EXPECT_EQ(names, (std::vector<std::string>{"Zeta", "a.dlq", "clicks", "views"}));

  ASSERT_TRUE(catalog->Drop("clicks").ok());
  EXPECT_EQ(catalog->Find("clicks"), nullptr);
  EXPECT_FALSE(fs::exists(dir_ / "clicks.json"));
  EXPECT_EQ(catalog->List().size(), 3u);
  // The dropped definition stays valid for whoever holds it.
  EXPECT_EQ(found->name, "clicks");
  // The name can be used again.
  EXPECT_TRUE(catalog->Create(Simple("clicks", "other VARCHAR")).ok());
  EXPECT_EQ(catalog->Find("clicks")->latest().fields[0].name, "other");
}

TEST_F(CatalogTest, CreateRejectsTakenNamesAndInvalidDefinitions) {
  auto catalog = OpenOrDie();
  ASSERT_NE(catalog, nullptr);
  ASSERT_TRUE(catalog->Create(Simple("clicks")).ok());
  auto again = catalog->Create(Simple("clicks", "x INTEGER"));
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find("clicks"), std::string::npos) << again.status().message();
  EXPECT_EQ(catalog->Find("clicks")->latest().fields[0].name, "id") << "the first definition is kept";

  EXPECT_EQ(catalog->Create(Simple("../escape")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog->Create(Simple(".hidden")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(root_ / "escape.json"));
  StreamDefinition no_columns = Simple("empty", "");
  EXPECT_EQ(catalog->Create(no_columns).status().code(), StatusCode::kInvalidArgument);
  no_columns.infer = true;
  EXPECT_TRUE(catalog->Create(no_columns).ok()) << "inferring streams may start without columns";
  StreamDefinition bad_partitions = Simple("parts");
  bad_partitions.partitions = 0;
  EXPECT_EQ(catalog->Create(bad_partitions).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog->Find("parts"), nullptr);
  EXPECT_FALSE(fs::exists(dir_ / "parts.json"));
}

TEST_F(CatalogTest, DropOfAMissingStreamIsNotFound) {
  auto catalog = OpenOrDie();
  ASSERT_NE(catalog, nullptr);
  Status s = catalog->Drop("nope");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("nope"), std::string::npos);
  ASSERT_TRUE(catalog->Create(Simple("once")).ok());
  ASSERT_TRUE(catalog->Drop("once").ok());
  EXPECT_EQ(catalog->Drop("once").code(), StatusCode::kNotFound);
}

TEST_F(CatalogTest, EveryFieldRoundTripsThroughReopen) {
  StreamDefinition def;
  def.name = "events-2024.v1";
  auto first = ParseColumns(
      "id BIGINT NOT NULL, ts TIMESTAMPTZ NOT NULL, local TIMESTAMP, day DATE, price DECIMAL(10,2), "
      "big DECIMAL(38,0), ok BOOLEAN, n INTEGER, x DOUBLE, payload JSON, tags VARCHAR[], "
      "nested STRUCT(a INTEGER, \"b c\" VARCHAR[], \"select\" STRUCT(d DECIMAL(5,5)))[][], \"Mixed Case\" VARCHAR");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  def.versions.push_back(Schema{SchemaVersion(1), *first});
  Schema second{SchemaVersion(2), *first};
  second.fields.push_back(Nullable("added", Type::List(Type::Decimal(18, 3))));
  def.versions.push_back(second);
  Schema third{SchemaVersion(3), second.fields};
  third.fields.push_back(Nullable("ünïcødé \"quoted\"", Type::Json()));
  third.fields.push_back(Nullable("more", Type::Struct({Nullable("z", Type::Date())})));
  def.versions.push_back(third);
  def.event_time_column = "ts";
  def.infer = true;
  def.partitions = 17;
  def.created_us = 1714564800000001;
  def.lake.enabled = false;
  {
    auto catalog = OpenOrDie();
    ASSERT_NE(catalog, nullptr);
    ASSERT_TRUE(catalog->Create(def).ok());
    StreamDefinition plain = Simple("plain");
    plain.created_us = 0;
    ASSERT_TRUE(catalog->Create(plain).ok());
  }
  auto catalog = OpenOrDie();
  ASSERT_NE(catalog, nullptr);
  ASSERT_EQ(catalog->List().size(), 2u);
  auto loaded = catalog->Find(def.name);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->name, def.name);
  ASSERT_EQ(loaded->versions.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(loaded->versions[i].version, def.versions[i].version);
    EXPECT_EQ(loaded->versions[i].fields, def.versions[i].fields) << "version " << i + 1;
  }
  EXPECT_EQ(loaded->event_time_column, def.event_time_column);
  EXPECT_TRUE(loaded->infer);
  EXPECT_EQ(loaded->partitions, 17);
  EXPECT_EQ(loaded->created_us, def.created_us);
  EXPECT_FALSE(loaded->lake.enabled);
  EXPECT_EQ(StreamDefinitionToJson(*loaded), StreamDefinitionToJson(def));

  auto plain = catalog->Find("plain");
  ASSERT_NE(plain, nullptr);
  EXPECT_FALSE(plain->event_time_column.has_value());
  EXPECT_FALSE(plain->infer);
  EXPECT_EQ(plain->partitions, 1);
  EXPECT_EQ(plain->created_us, 0);
  EXPECT_TRUE(plain->lake.enabled);
  EXPECT_FALSE(plain->latest().fields[0].nullable);
  EXPECT_TRUE(plain->latest().fields[1].nullable);
}

TEST_F(CatalogTest, DefinitionsStoredBeforeLakeOptionsExistedReadAsLoaded) {
  {
    auto catalog = OpenOrDie();
    ASSERT_NE(catalog, nullptr);
    StreamDefinition def = Simple("old");
    def.lake.enabled = false;
    ASSERT_TRUE(catalog->Create(def).ok());
  }
  std::string text = ReadFile(dir_ / "old.json");
  const std::string lake = R"(,"lake":{"enabled":false})";
  size_t at = text.find(lake);
  ASSERT_NE(at, std::string::npos) << text;
  text.erase(at, lake.size());
  WriteFile(dir_ / "old.json", text);
  auto catalog = OpenOrDie();
  ASSERT_NE(catalog, nullptr);
  auto old = catalog->Find("old");
  ASSERT_NE(old, nullptr);
  EXPECT_TRUE(old->lake.enabled);
}

TEST_F(CatalogTest, TheFileHoldsStreamDefinitionToJson) {
  auto catalog = OpenOrDie();
  ASSERT_NE(catalog, nullptr);
  auto created = catalog->Create(Simple("clicks"));
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(ReadFile(dir_ / "clicks.json"), StreamDefinitionToJson(**created));
  auto evolved = catalog->AddColumns("clicks", SchemaVersion(1), {Nullable("url", Type::Varchar())});
  ASSERT_TRUE(evolved.ok());
  EXPECT_EQ(ReadFile(dir_ / "clicks.json"), StreamDefinitionToJson(**evolved));
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_NE(entry.path().extension(), ".tmp") << "no temporary file is left behind: " << entry.path();
  }
}

TEST_F(CatalogTest, AddColumnsAppendsANullableVersionAndPersists) {
  {
    auto catalog = OpenOrDie();
    ASSERT_NE(catalog, nullptr);
    auto created = catalog->Create(Simple("clicks"));
    ASSERT_TRUE(created.ok());
    auto v2 = catalog->AddColumns("clicks", SchemaVersion(1),
                                  {Nullable("url", Type::Varchar()), Nullable("scores", Type::List(Type::Double()))});
    ASSERT_TRUE(v2.ok()) << v2.status().ToString();
    ASSERT_EQ((*v2)->versions.size(), 2u);
    EXPECT_EQ((*v2)->latest().version, SchemaVersion(2));
    ASSERT_EQ((*v2)->latest().fields.size(), 4u);
    EXPECT_EQ((*v2)->latest().fields[2].name, "url");
    EXPECT_EQ((*v2)->latest().fields[3].type, Type::List(Type::Double()));
    EXPECT_EQ((*v2)->versions[0].fields, (*created)->latest().fields) << "version 1 is unchanged";
    // The snapshot handed out before stays as it was.
    EXPECT_EQ((*created)->versions.size(), 1u);
    EXPECT_EQ(catalog->Find("clicks"), *v2);
    auto v3 = catalog->AddColumns("clicks", SchemaVersion(2), {Nullable("more", Type::Boolean())});
    ASSERT_TRUE(v3.ok());
    EXPECT_EQ((*v3)->latest().version, SchemaVersion(3));
  }
  auto catalog = OpenOrDie();
  ASSERT_NE(catalog, nullptr);
  auto loaded = catalog->Find("clicks");
  ASSERT_NE(loaded, nullptr);
  ASSERT_EQ(loaded->versions.size(), 3u);
  EXPECT_EQ(loaded->versions[1].fields.size(), 4u);
  EXPECT_EQ(loaded->latest().fields.back(), Nullable("more", Type::Boolean()));
}

TEST_F(CatalogTest, AddColumnsRejectsBadFields) {
  auto catalog = OpenOrDie();
  ASSERT_NE(catalog, nullptr);
  ASSERT_TRUE(catalog->Create(Simple("clicks")).ok());
  auto not_found = catalog->AddColumns("nope", SchemaVersion(1), {Nullable("a", Type::Varchar())});
  EXPECT_EQ(not_found.status().code(), StatusCode::kNotFound);

  auto not_null = catalog->AddColumns("clicks", SchemaVersion(1), {Field{"a", Type::Varchar(), false}});
  EXPECT_EQ(not_null.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(not_null.status().message().find("nullable"), std::string::npos) << not_null.status().message();

  auto case_clash = catalog->AddColumns("clicks", SchemaVersion(1), {Nullable("ID", Type::BigInt())});
  EXPECT_EQ(case_clash.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(case_clash.status().message().find("\"ID\""), std::string::npos) << case_clash.status().message();

  auto twice = catalog->AddColumns("clicks", SchemaVersion(1),
                                   {Nullable("url", Type::Varchar()), Nullable("URL", Type::Varchar())});
  EXPECT_EQ(twice.status().code(), StatusCode::kInvalidArgument);

  auto empty_name = catalog->AddColumns("clicks", SchemaVersion(1), {Nullable("", Type::Varchar())});
  EXPECT_EQ(empty_name.status().code(), StatusCode::kInvalidArgument);

  std::vector<Field> too_many;
  for (size_t i = 0; i + 1 < kColumnsMax; ++i) too_many.push_back(Nullable("c" + std::to_string(i), Type::Integer()));
  auto over = catalog->AddColumns("clicks", SchemaVersion(1), too_many);  // 2 + 1023 > 1024
  EXPECT_EQ(over.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(over.status().message().find("1024"), std::string::npos) << over.status().message();
  too_many.pop_back();  // 2 + 1022 == 1024: allowed
  auto at_limit = catalog->AddColumns("clicks", SchemaVersion(1), too_many);
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().ToString();
  EXPECT_EQ((*at_limit)->latest().fields.size(), kColumnsMax);

  // Nothing failed above changed the stored definition beyond the successful call.
  auto reopened = OpenOrDie();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->Find("clicks")->versions.size(), 2u);
}

TEST_F(CatalogTest, AddColumnsAfterAConcurrentChangeConvergesOrNamesTheConflict) {
  auto catalog = OpenOrDie();
  ASSERT_NE(catalog, nullptr);
  ASSERT_TRUE(catalog->Create(Simple("clicks")).ok());
  // Thread A wins the race and adds url VARCHAR.
  auto a = catalog->AddColumns("clicks", SchemaVersion(1), {Nullable("url", Type::Varchar())});
  ASSERT_TRUE(a.ok());
  // Thread B inferred the same field against version 1: it gets A's definition, no new version.
  auto b = catalog->AddColumns("clicks", SchemaVersion(1), {Nullable("url", Type::Varchar())});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*b, *a);
  EXPECT_EQ((*b)->versions.size(), 2u);

  // Thread C inferred url as BIGINT: a conflict naming the field.
  auto c = catalog->AddColumns("clicks", SchemaVersion(1), {Nullable("url", Type::BigInt())});
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("\"url\""), std::string::npos) << c.status().message();
  // Thread D inferred "URL": same column ignoring case, a different name: a conflict.
  auto d = catalog->AddColumns("clicks", SchemaVersion(1), {Nullable("URL", Type::Varchar())});
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("URL"), std::string::npos) << d.status().message();

  // Thread E inferred url (already there) plus referrer (not yet): the missing one is appended to
  // the current version, as inferring against it would have done.
  auto e = catalog->AddColumns("clicks", SchemaVersion(1),
                               {Nullable("url", Type::Varchar()), Nullable("referrer", Type::Varchar())});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)->latest().version, SchemaVersion(3));
  ASSERT_EQ((*e)->latest().fields.size(), 4u);
  EXPECT_EQ((*e)->latest().fields[3].name, "referrer");
  EXPECT_EQ(catalog->Find("clicks")->versions.size(), 3u);
}

TEST_F(CatalogTest, ConcurrentInferenceOfTheSameFieldsConverges) {
  auto catalog = OpenOrDie();
  ASSERT_NE(catalog, nullptr);
  ASSERT_TRUE(catalog->Create(Simple("clicks")).ok());
  constexpr int kThreads = 8;
  constexpr int kRounds = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        // Like ingest workers meeting the same new key in different events: each thread infers
        // against the snapshot it holds (only keys that are not yet columns) and adds them. Every
        // thread wants the field of this round; odd threads also want one of their own.
        auto def = catalog->Find("clicks");
        std::vector<Field> wanted = {Nullable("r" + std::to_string(round), Type::BigInt())};
        if (t % 2 == 1)
          wanted.push_back(Nullable("t" + std::to_string(t) + "_" + std::to_string(round), Type::Double()));
        std::vector<Field> fields;
        for (const Field& f : wanted) {
          if (!def->latest().FieldIndex(f.name)) fields.push_back(f);
        }
        if (fields.empty()) continue;
        auto result = catalog->AddColumns("clicks", def->latest().version, fields);
        if (!result.ok()) {
          ++failures;
          continue;
        }
        for (const Field& f : fields) {
          auto index = (*result)->latest().FieldIndex(f.name);
          if (!index || !((*result)->latest().fields[*index] == f)) ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto def = catalog->Find("clicks");
  size_t expected_columns = 2 + kRounds + (kThreads / 2) * kRounds;
  EXPECT_EQ(def->latest().fields.size(), expected_columns);
  EXPECT_TRUE(ValidateStreamDefinition(*def).ok());
  auto reopened = OpenOrDie();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(StreamDefinitionToJson(*reopened->Find("clicks")), StreamDefinitionToJson(*def));
}

TEST_F(CatalogTest, ACorruptDefinitionFailsOpenNamingTheFile) {
  {
    auto catalog = OpenOrDie();
    ASSERT_NE(catalog, nullptr);
    ASSERT_TRUE(catalog->Create(Simple("good")).ok());
  }
  const std::string good = ReadFile(dir_ / "good.json");
  auto expect_corrupt = [&](std::string_view file, std::string_view text, std::string_view why) {
    fs::path path = dir_ / file;
    WriteFile(path, text);
    auto catalog = Catalog::Open(dir_);
    ASSERT_FALSE(catalog.ok()) << why;
    EXPECT_EQ(catalog.status().code(), StatusCode::kCorruption) << why;
    EXPECT_NE(catalog.status().message().find(path.string()), std::string::npos)
        << why << ": " << catalog.status().message();
    fs::remove(path);
  };
  auto replace = [&](std::string from, std::string to) {
    std::string text = good;
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  };
  expect_corrupt("bad.json", "", "empty file");
  expect_corrupt("bad.json", "{\"name\":\"bad\",", "truncated");
  expect_corrupt("bad.json", "[]", "not an object");
  expect_corrupt("other.json", good, "the file name does not match the stream name");
  expect_corrupt("good.json", replace("\"BIGINT\"", "\"BIGNUM\""), "unknown type");
  expect_corrupt("good.json", replace("\"partitions\":1", "\"partitions\":0"), "partitions out of range");
  expect_corrupt("good.json", replace("\"infer\":false,", ""), "missing key");
  expect_corrupt("good.json", replace("\"infer\":false", "\"infer\":false,\"extra\":1"), "unknown key");
  expect_corrupt("good.json", replace("\"version\":1", "\"version\":2"), "misnumbered version");
  expect_corrupt("good.json", replace("2024-05-01T12:00:00.123456Z", "yesterday"), "bad created time");
  expect_corrupt("good.json", replace("\"event_time\":null", "\"event_time\":\"nope\""), "unknown event_time");
  expect_corrupt("good.json", replace("\"nullable\":true", "\"nullable\":\"yes\""), "bad nullable");
  expect_corrupt("bad name!.json", good, "a file name that is not a stream name");
  // With every bad file gone the catalog opens again.
  WriteFile(dir_ / "good.json", good);
  auto catalog = OpenOrDie();
  ASSERT_NE(catalog, nullptr);
  EXPECT_NE(catalog->Find("good"), nullptr);
}

TEST_F(CatalogTest, LeftoverTempFilesAndUnrelatedFilesAreIgnored) {
  {
    auto catalog = OpenOrDie();
    ASSERT_NE(catalog, nullptr);
    ASSERT_TRUE(catalog->Create(Simple("clicks")).ok());
  }
  // A crash between writing the temporary file and renaming it: the torn new version is dropped,
  // the old definition stands.
  WriteFile(dir_ / "clicks.json.tmp", "{\"name\":\"clicks\",\"vers");
  WriteFile(dir_ / "fresh.json.tmp", "garbage");  // a Create that never got renamed
  WriteFile(dir_ / "notes.txt", "not a definition");
  fs::create_directories(dir_ / "sub.json");
  auto catalog = OpenOrDie();
  ASSERT_NE(catalog, nullptr);
  ASSERT_EQ(catalog->List().size(), 1u);
  EXPECT_EQ(catalog->Find("clicks")->latest().fields.size(), 2u);
  EXPECT_EQ(catalog->Find("fresh"), nullptr);
  EXPECT_FALSE(fs::exists(dir_ / "clicks.json.tmp"));
  EXPECT_FALSE(fs::exists(dir_ / "fresh.json.tmp"));
  // A later write of the same stream is unaffected.
  EXPECT_TRUE(catalog->AddColumns("clicks", SchemaVersion(1), {Nullable("url", Type::Varchar())}).ok());
  EXPECT_TRUE(catalog->Create(Simple("fresh")).ok());
}

TEST_F(CatalogTest, OpenFailsWhenThePathIsAFile) {
  WriteFile(root_ / "file", "x");
  auto catalog = Catalog::Open(root_ / "file");
  EXPECT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace lagoa::schema
