# Fails when the libreconcile archive references a symbol that does I/O or
# reads the world (files, sockets, clocks, threads, environment, randomness,
# SQLite, curl, HTTP). Run as: cmake -DARCHIVE=<lib> -P check_no_io.cmake
execute_process(COMMAND nm --undefined-only --demangle ${ARCHIVE}
  OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT symbols MATCHES " U ")
  message(FATAL_ERROR "could not read the undefined symbols of ${ARCHIVE}")
endif()
set(forbidden
  "fopen" "fread" "fwrite" "open64" "^ *U open$" "socket" "connect" "getenv" "clock_gettime"
  "gettimeofday" "time$" "std::chrono::_V2::system_clock" "std::chrono::_V2::steady_clock"
  "pthread_create" "std::thread" "std::random_device" "rand$" "sqlite3_" "curl_" "httplib"
  "std::basic_ifstream" "std::basic_ofstream" "std::filesystem")
set(found "")
string(REPLACE "\n" ";" lines "${symbols}")
foreach(line ${lines})
  foreach(pattern ${forbidden})
    if(line MATCHES "${pattern}")
      list(APPEND found "${line}")
    endif()
  endforeach()
endforeach()
if(found)
  list(REMOVE_DUPLICATES found)
  string(REPLACE ";" "\n  " shown "${found}")
  message(FATAL_ERROR "libreconcile references I/O symbols:\n  ${shown}")
endif()
message(STATUS "libreconcile references no I/O symbol")
