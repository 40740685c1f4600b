# Windows build: Debian ships CLI11, fmt, spdlog and xxHash for Linux only, but all four can be
# used header-only. Their headers are exposed through a directory of links to just those headers
# (never /usr/include itself, whose glibc headers would shadow mingw's), and each gets the
# imported target name the Linux build finds with find_package.
set(SOCKIT_WIN_INCLUDE ${CMAKE_BINARY_DIR}/host-headers)
file(MAKE_DIRECTORY ${SOCKIT_WIN_INCLUDE})
foreach(h CLI fmt spdlog xxhash.h)
  if(NOT EXISTS /usr/include/${h})
    message(FATAL_ERROR "windows build: /usr/include/${h} is missing (scripts/deps.sh windows installs it)")
  endif()
  file(CREATE_LINK /usr/include/${h} ${SOCKIT_WIN_INCLUDE}/${h} SYMBOLIC)
endforeach()

add_library(sockit_win_headers INTERFACE)
target_include_directories(sockit_win_headers SYSTEM INTERFACE ${SOCKIT_WIN_INCLUDE})
add_library(fmt::fmt ALIAS sockit_win_headers)
add_library(sockit_win_spdlog INTERFACE)
target_link_libraries(sockit_win_spdlog INTERFACE sockit_win_headers)
target_compile_definitions(sockit_win_spdlog INTERFACE SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY)
add_library(spdlog::spdlog ALIAS sockit_win_spdlog)
add_library(CLI11::CLI11 ALIAS sockit_win_headers)
add_library(sockit_win_xxhash INTERFACE)
target_link_libraries(sockit_win_xxhash INTERFACE sockit_win_headers)
# xxh3.cpp compiles the implementation itself (XXH_IMPLEMENTATION, set on that file).
add_library(PkgConfig::XXHASH ALIAS sockit_win_xxhash)
