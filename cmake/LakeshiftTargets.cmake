# Shared compile settings and helpers for every lakeshift target.

add_library(lakeshift_flags INTERFACE)
target_compile_options(lakeshift_flags INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
target_include_directories(lakeshift_flags INTERFACE ${PROJECT_SOURCE_DIR}/src)
if(LAKESHIFT_SANITIZE)
  target_compile_options(lakeshift_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                   -fno-sanitize-recover=undefined)
  target_link_options(lakeshift_flags INTERFACE -fsanitize=address,undefined)
endif()

# lakeshift_library(NAME SOURCES ... DEPS ...): one static library per module.
function(lakeshift_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(lakeshift_${name} STATIC ${ARG_SOURCES})
  target_link_libraries(lakeshift_${name} PUBLIC lakeshift_flags ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# lakeshift_test(NAME LABEL label SOURCES ... DEPS ...): a gtest executable registered with ctest.
function(lakeshift_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;DEPS" ${ARGN})
  if(NOT LAKESHIFT_BUILD_TESTS OR (LAKESHIFT_UNIT_TESTS_ONLY AND NOT ARG_LABEL STREQUAL "unit"))
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE lakeshift_flags ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock
                                        Threads::Threads)
  gtest_discover_tests(${name} TEST_PREFIX "${name}." DISCOVERY_MODE PRE_TEST
                       PROPERTIES LABELS "${ARG_LABEL}" ENVIRONMENT "LAKESHIFT_BIN=$<TARGET_FILE_DIR:${name}>")
endfunction()
