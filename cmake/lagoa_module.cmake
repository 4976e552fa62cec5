# lagoa_module(NAME SOURCES ... DEPS ...): the library lagoa::NAME built from src/NAME.
function(lagoa_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(lagoa_${name} STATIC ${ARG_SOURCES})
  add_library(lagoa::${name} ALIAS lagoa_${name})
  target_include_directories(lagoa_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(lagoa_${name} PUBLIC ${ARG_DEPS})
endfunction()

# lagoa_test(NAME SOURCES ... DEPS ...): a GoogleTest binary whose tests CTest runs one by one,
# labelled with their module's folder name, so CTest's label time summary shows where
# the time goes (`ctest -L sql` runs one module's).
function(lagoa_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  get_filename_component(module ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "LAGOA_TEST_TMPDIR=${CMAKE_BINARY_DIR}/test-tmp" LABELS ${module})
endfunction()

# lagoa_fuzz(NAME SOURCES ... DEPS ... CORPUS DIR [INSTRUMENT LIB] [SECONDS N] [NO_LEAK_CHECK]): a
# libFuzzer target (with LAGOA_FUZZ) and the short run CI gives it, NAME_smoke: SECONDS (20) over a
# copy of DIR, so a run never writes into the source tree. INSTRUMENT: a library whose code the
# fuzzer should see covered (a whole engine or server under the target). NO_LEAK_CHECK: for
# targets whose long-lived engine or server threads allocate while an input ends (and a 10 s
# timeout per input). The DuckDB library is found at run time, for targets that link it.
function(lagoa_fuzz name)
  cmake_parse_arguments(ARG "NO_LEAK_CHECK" "CORPUS;INSTRUMENT;SECONDS" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_SECONDS)
    set(ARG_SECONDS 20)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  get_filename_component(duckdb_lib_dir ${LAGOA_DUCKDB_DIR}/lib ABSOLUTE)
  set_target_properties(${name} PROPERTIES BUILD_RPATH ${duckdb_lib_dir} INSTALL_RPATH ${duckdb_lib_dir})
  if(ARG_INSTRUMENT)
    target_compile_options(${ARG_INSTRUMENT} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
  set(run "$<TARGET_FILE:${name}> -max_total_time=${ARG_SECONDS} -rss_limit_mb=4096")
  if(ARG_NO_LEAK_CHECK)
    set(run "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 ${run} -detect_leaks=0 -timeout=10")
  endif()
  add_test(NAME ${name}_smoke
    COMMAND sh -c "rm -rf ${name}_corpus && cp -r ${ARG_CORPUS} ${name}_corpus && ${run} ${name}_corpus"
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endfunction()
