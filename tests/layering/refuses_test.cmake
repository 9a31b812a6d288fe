# The layering check (cmake/check_layering.cmake) refuses what it is there to refuse: a tree
# whose API includes a store implementation and holds SQL, and a daemon file beside the
# wiring that includes common/sqlite/, fails it with each line named; the same tree with the
# API going through a port, and the wiring picking the implementation, passes.
#
#   cmake -D CHECK=<check_layering.cmake> -D WORK_DIR=<scratch folder> -P refuses_test.cmake
cmake_minimum_required(VERSION 3.25)

function(check expect_ok)
  execute_process(COMMAND ${CMAKE_COMMAND} -D SOURCE_DIR=${WORK_DIR} -P ${CHECK}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(all "${out}${err}")
  if(expect_ok AND NOT rc EQUAL 0)
    message(FATAL_ERROR "the check failed a clean tree:\n${all}")
  endif()
  if(NOT expect_ok AND rc EQUAL 0)
    message(FATAL_ERROR "the check passed a tree that breaks the rule:\n${all}")
  endif()
  foreach(line IN LISTS ARGN)
    string(FIND "${all}" "${line}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "the check does not say \"${line}\":\n${all}")
    endif()
  endforeach()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/aggregator/api ${WORK_DIR}/aggregator/daemon)
set(api ${WORK_DIR}/aggregator/api/reads.cpp)
set(wiring ${WORK_DIR}/aggregator/daemon/assembly.cpp)

# Broken: the API opens the SQLite store and writes SQL; a daemon file other than the wiring
# uses common/sqlite.
file(WRITE ${api} "#include <vector>\n#include \"aggregator/store/sqlite/sqlite_case_store.h\"\n"
                  "int f() { auto q = \"SELECT id FROM cases WHERE x = ?\"; return 0; }\n")
file(WRITE ${WORK_DIR}/aggregator/daemon/main.cpp "#include \"common/sqlite/database.h\"\n")
check(FALSE "aggregator/api/reads.cpp:2: includes aggregator/store/sqlite/"
      "aggregator/api/reads.cpp:3: holds SQL" "aggregator/daemon/main.cpp:1: includes common/sqlite/")

# Clean: the API sees the port; the wiring picks the implementation.
file(WRITE ${api} "#include <vector>\n#include \"aggregator/cases/case_store.h\"\n"
                  "int f(std::vector<int> v) { return v[0]; }  // brackets; and a semicolon\n")
file(REMOVE ${WORK_DIR}/aggregator/daemon/main.cpp)
file(WRITE ${wiring} "#include \"aggregator/store/sqlite/sqlite_case_store.h\"\n")
check(TRUE "see the stores only through their ports")

file(REMOVE_RECURSE ${WORK_DIR})
