# Every library lagoa links, found from Debian's packages (scripts/bootstrap installs them) and
# DuckDB from third_party/ (scripts/bootstrap unpacks the pinned npm packages there).
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(simdjson REQUIRED)
find_package(CLI11 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(absl REQUIRED)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)

set(LAGOA_DUCKDB_DIR ${CMAKE_SOURCE_DIR}/third_party/duckdb CACHE PATH "DuckDB header and library")
if(NOT EXISTS ${LAGOA_DUCKDB_DIR}/include/duckdb.h OR NOT EXISTS ${LAGOA_DUCKDB_DIR}/lib/libduckdb.so)
  message(FATAL_ERROR "DuckDB not found in ${LAGOA_DUCKDB_DIR}; run scripts/bootstrap")
endif()
add_library(duckdb SHARED IMPORTED GLOBAL)
set_target_properties(duckdb PROPERTIES
  IMPORTED_LOCATION ${LAGOA_DUCKDB_DIR}/lib/libduckdb.so
  INTERFACE_INCLUDE_DIRECTORIES ${LAGOA_DUCKDB_DIR}/include)
# libduckdb.so is not on the loader's path: every binary that links it finds it through its runpath.
get_filename_component(lagoa_duckdb_lib_dir ${LAGOA_DUCKDB_DIR}/lib ABSOLUTE)
set_property(TARGET duckdb PROPERTY INTERFACE_LINK_OPTIONS "LINKER:-rpath,${lagoa_duckdb_lib_dir}")
