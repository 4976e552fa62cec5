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

# lagoa_fuzz(NAME SOURCES ... DEPS ... CORPUS DIR): a libFuzzer target (with LAGOA_FUZZ) and the
# short run CI gives it, NAME_smoke: 20 s over a copy of DIR, so a run never writes into the
# source tree.
function(lagoa_fuzz name)
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  add_test(NAME ${name}_smoke
    COMMAND sh -c "rm -rf ${name}_corpus && cp -r ${ARG_CORPUS} ${name}_corpus && $<TARGET_FILE:${name}> -max_total_time=20 -rss_limit_mb=4096 ${name}_corpus"
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endfunction()
