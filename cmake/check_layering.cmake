# Ports and layers (docs/architecture.md): the API, the cases and ingest domains and the
# daemon see the stores only through their ports. No source file there includes a store
# implementation (aggregator/store/sqlite/, aggregator/store/postgresql/), common/sqlite/ or
# a database client library, nor holds SQL -- except the daemon's wiring, the files that pick
# the implementations.
#
#   cmake -D SOURCE_DIR=<repository> -P cmake/check_layering.cmake
#
# Prints every offending line as file:line and fails when there is one.
cmake_minimum_required(VERSION 3.25)
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "check_layering: set SOURCE_DIR to the repository")
endif()

set(layered_dirs aggregator/api aggregator/cases aggregator/daemon aggregator/ingest)
set(wiring aggregator/daemon/assembly.cpp aggregator/daemon/sqlite_api_stores.cpp)
set(forbidden_include
    "^[ \t]*#[ \t]*include[ \t]*[<\"](aggregator/store/sqlite/|aggregator/store/postgresql/|common/sqlite/|sqlite3\\.h|libpq-fe\\.h)")
# SQL in a string literal: the statements a store runs.
set(sql "\"[^\"]*(SELECT |INSERT INTO |INSERT OR |UPDATE [a-z_]+ SET |DELETE FROM |CREATE TABLE |CREATE INDEX )")

set(globs "")
foreach(dir IN LISTS layered_dirs)
  list(APPEND globs ${SOURCE_DIR}/${dir}/*.h ${SOURCE_DIR}/${dir}/*.cpp)
endforeach()
file(GLOB_RECURSE files RELATIVE ${SOURCE_DIR} ${globs})
list(SORT files)

set(problems "")
foreach(file IN LISTS files)
  if(file IN_LIST wiring)
    continue()
  endif()
  # One list element a line (semicolons and brackets, which a list would interpret, masked).
  file(READ ${SOURCE_DIR}/${file} text)
  string(REPLACE ";" "<semicolon>" text "${text}")
  string(REPLACE "[" "<bracket>" text "${text}")
  string(REPLACE "]" "<bracket>" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(n 0)
  foreach(line IN LISTS lines)
    math(EXPR n "${n} + 1")
    if(line MATCHES "${forbidden_include}")
      string(APPEND problems "${file}:${n}: includes ${CMAKE_MATCH_1} (a store implementation or a database client)\n")
    elseif(line MATCHES "${sql}")
      string(APPEND problems "${file}:${n}: holds SQL (${CMAKE_MATCH_1}...)\n")
    endif()
  endforeach()
endforeach()

list(LENGTH files count)
string(REPLACE ";" ", " dirs "${layered_dirs}")
if(problems)
  message(NOTICE "${problems}")
  message(FATAL_ERROR "Layering: the files above see a store implementation in ${dirs}; use "
                      "the store's port (an interface in its domain), opened by the daemon's "
                      "wiring (docs/architecture.md, \"Ports and layers\")")
endif()
message(STATUS "Layering: ${count} files in ${dirs} see the stores only through their ports")
