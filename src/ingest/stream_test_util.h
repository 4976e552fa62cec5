// Test helper: real streams on a fresh directory — a started log, the stream catalog and a
// StreamRegistry over them — for the tests of modules that take a registry (ingest, catalog,
// tables). Test code only; the test's own thread.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "ingest/stream_registry.h"
#include "log/log.h"
#include "schema/catalog.h"
#include "schema/schema.h"

namespace lagoa::ingest::testing_util {

class TestStreams {
 public:
  // A directory under $LAGOA_TEST_TMPDIR (or /tmp) named for `prefix`, the process and the
  // running test; emptied first. Check ok() after.
  explicit TestStreams(const std::string& prefix) {
    const char* base = std::getenv("LAGOA_TEST_TMPDIR");
    dir_ = std::filesystem::path(base != nullptr ? base : "/tmp") /
           (prefix + "-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    log::LogOptions options;
    options.dir = dir_ / "log";
    options.free_space_min_bytes = 0;
    options.free_space_min_percent = 0;
    auto log = log::Log::Open(options);
    if (!log.ok() || !(*log)->Start().ok()) return;
    log_ = std::move(log).value();
    auto catalog = schema::Catalog::Open(dir_ / "catalog");
    if (!catalog.ok()) return;
    catalog_ = std::move(catalog).value();
    auto registry = StreamRegistry::Open(log_.get(), catalog_.get(), log::RetentionPolicy{});
    if (registry.ok()) registry_ = std::move(registry).value();
  }
  ~TestStreams() {
    registry_.reset();
    catalog_.reset();
    if (log_) log_->Stop();
    log_.reset();
    std::filesystem::remove_all(dir_);
  }
  TestStreams(const TestStreams&) = delete;
  TestStreams& operator=(const TestStreams&) = delete;

  bool ok() const { return registry_ != nullptr; }
  const std::filesystem::path& dir() const { return dir_; }
  StreamRegistry* registry() const { return registry_.get(); }
  log::Log* log() const { return log_.get(); }

  // Creates a stream with lagoa's column list (schema::ParseColumns); EXPECTs success.
  void Create(const std::string& name, const std::string& columns, bool infer = false, int64_t created_us = 0) {
    schema::StreamDefinition def;
    def.name = name;
    def.infer = infer;
    def.created_us = created_us;
    auto fields = schema::ParseColumns(columns);
    ASSERT_TRUE(fields.ok()) << fields.status().ToString();
    def.versions.push_back(schema::Schema{SchemaVersion(1), std::move(fields).value()});
    Status created = registry_->Create(std::move(def)).status();
    ASSERT_TRUE(created.ok()) << created.ToString();
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<log::Log> log_;
  std::unique_ptr<schema::Catalog> catalog_;
  std::unique_ptr<StreamRegistry> registry_;
};

}  // namespace lagoa::ingest::testing_util
